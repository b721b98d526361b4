// records: the wiki's two object formats and the rules that make a page's latest version
// trustworthy.
//
//   Version — one immutable version of a page (title, text, keywords, author, predecessor), stored
//             through butter.storage/1, so its id is its hash and every read is verified by it.
//             Signed by its author (butter.identity/1, context kVersionContext) over every field;
//             a reader shows a version only if the signature verifies with the author key it
//             carries AND its page id is that key's page of its title. Unsigned "BWIKIV01"
//             versions (before the signature) are refused with that reason.
//   Head    — "page P is now at version V, sequence S", signed by P's author with the node key
//             (butter.identity/1, context kHeadContext). Heads are stored as objects too, and
//             found through butter.search/1 by the keyword "wikihead:<page id>". A reader keeps only
//             heads whose signature verifies AND whose page id is the one the author key and
//             title give; among those, the highest sequence wins.
//
// A page id is the first 16 bytes of SHA-256("butter-wiki/page/1" 0x00 author_key title), as 32
// hex digits: a page belongs to the node that created it, and nobody else can sign its heads.
// Formats (big-endian, butter/wire.hpp) are in README.md.
#pragma once

#include <butter/wire.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wiki {

inline constexpr std::string_view kHeadContext = "butter.example.wiki/head";
inline constexpr std::string_view kVersionContext = "butter.example.wiki/version";
inline constexpr std::string_view kVersionMagic = "BWIKIV02";        // signed by the author
inline constexpr std::string_view kLegacyVersionMagic = "BWIKIV01";  // unsigned: refused
inline constexpr std::string_view kHeadMagic = "BWIKIH01";
inline constexpr std::size_t kMaxTitle = 200;
inline constexpr std::size_t kMaxText = 256 * 1024;
inline constexpr std::size_t kMaxKeywords = 16;
inline constexpr std::size_t kMaxKeyword = 40;

using Key = std::array<std::uint8_t, 32>;
using Sig = std::array<std::uint8_t, 64>;

struct Version {
  std::string page_id;  // 32 hex digits
  Key author{};
  std::uint64_t created_unix_ms = 0;
  std::uint64_t seq = 0;
  std::string predecessor;  // version (object) id, 64 hex digits, or "" for a first version
  std::string title;
  std::string text;
  std::vector<std::string> keywords;
  Sig signature{};  // by `author`, context kVersionContext, over version_signed_bytes()
};

struct Head {
  std::string page_id;     // 32 hex digits
  std::string version_id;  // 64 hex digits
  std::uint64_t seq = 0;
  Key author{};
  std::uint64_t created_unix_ms = 0;
  std::string title;
  Sig signature{};
};

std::string key_hex(const Key& k);  // ids are checked with butter::wire::is_lower_hex

// The page id of `title` by `author`.
std::string page_id(const Key& author, std::string_view title);

// Input checks: "" when fine, else the reason.
std::string check_title(std::string_view title);
std::string check_text(std::string_view text);
// Splits user keywords on commas and white space, lowercases ASCII, drops duplicates; nullopt
// (with the reason) when one is too long, not UTF-8 or there are too many.
std::optional<std::vector<std::string>> parse_keywords(std::string_view text, std::string* why = nullptr);
// Lowercased words of at least 2 bytes from a title or a query (ASCII punctuation splits words).
std::vector<std::string> words(std::string_view text, std::size_t max_words);
using butter::wire::valid_utf8;  // sdk: butter/wire.hpp

// The bytes a version's signature covers: the magic and every field (everything but the signature).
std::string version_signed_bytes(const Version& v);
std::string encode_version(const Version& v);
// Strict decoding; an unsigned legacy version (BWIKIV01) is refused with a reason saying so.
std::optional<Version> decode_version(std::string_view bytes, std::string* why = nullptr);

// The bytes a head's signature covers (everything but the signature).
std::string head_signed_bytes(const Head& h);
std::string encode_head(const Head& h);
std::optional<Head> decode_head(std::string_view bytes, std::string* why = nullptr);

// verify(key, context, message, signature) -> true when valid (butter::Identity::verify).
using VerifyFn = std::function<bool(const Key&, std::string_view, std::string_view, const Sig&)>;
// Whether a decoded head may be believed: its page id is its author's and title's, and its
// signature verifies. `why` says what is wrong.
bool head_is_authentic(const Head& h, const VerifyFn& verify, std::string* why = nullptr);
// Whether a decoded version may be shown as its author's: its page id is its author's page of
// its title, and its signature (context kVersionContext) verifies with its author key.
bool version_is_authentic(const Version& v, const VerifyFn& verify, std::string* why = nullptr);

// The keywords a version and a head are stored with.
std::vector<std::string> version_keywords(const Version& v);
std::vector<std::string> head_keywords(std::string_view page_id);
std::string head_keyword(std::string_view page_id);
std::string page_keyword(std::string_view page_id);
inline constexpr std::string_view kWikiKeyword = "butter-wiki";
inline constexpr std::string_view kHeadKeyword = "butter-wiki-head";

}  // namespace wiki
