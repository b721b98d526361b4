// records: encoding, strict decoding and authenticity checks of wiki versions and heads (see
// records.hpp; the formats are in README.md).
#include "records.hpp"

#include <butter/wire.hpp>

#include <sodium.h>

#include <set>

namespace wiki {

std::string key_hex(const Key& k) { return butter::wire::to_hex(k); }

namespace {
// The `n` bytes of `s`, which must be their 2n lowercase hex digits (the one spelling of an id).
bool from_hex(std::string_view s, std::uint8_t* out, std::size_t n) {
  return butter::wire::is_lower_hex(s, 2 * n) && butter::wire::from_hex(s, std::span<std::uint8_t>(out, n));
}
std::string_view sv(const std::uint8_t* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }

std::string check_line(std::string_view s, std::size_t max, const char* what, bool multiline) {
  if (s.size() > max) return std::string(what) + " is longer than " + std::to_string(max) + " bytes";
  if (!valid_utf8(s)) return std::string(what) + " is not valid UTF-8";
  for (unsigned char c : s) {
    if (c == '\t' || (multiline && (c == '\n' || c == '\r'))) continue;
    if (c < 0x20 || c == 0x7F) return std::string(what) + " holds a control character";
  }
  return {};
}
}  // namespace

std::string page_id(const Key& author, std::string_view title) {
  std::string msg = "butter-wiki/page/1";
  msg.push_back('\0');
  msg.append(sv(author.data(), author.size()));
  msg.append(title);
  std::uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  return butter::wire::to_hex(std::span<const std::uint8_t>(h, 16));
}

std::string check_title(std::string_view title) {
  if (title.empty()) return "title is empty";
  if (title.find_first_not_of(" \t") == std::string_view::npos) return "title is blank";
  return check_line(title, kMaxTitle, "title", false);
}
std::string check_text(std::string_view text) { return check_line(text, kMaxText, "text", true); }

std::optional<std::vector<std::string>> parse_keywords(std::string_view text, std::string* why) {
  auto fail = [&](std::string r) -> std::optional<std::vector<std::string>> {
    if (why) *why = std::move(r);
    return std::nullopt;
  };
  if (!valid_utf8(text)) return fail("keywords are not valid UTF-8");
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::string cur;
  auto flush = [&]() -> bool {
    if (cur.empty()) return true;
    if (cur.size() > kMaxKeyword) return false;
    if (seen.insert(cur).second) out.push_back(cur);
    cur.clear();
    return true;
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!flush()) return fail("a keyword is longer than " + std::to_string(kMaxKeyword) + " bytes");
      continue;
    }
    if (c < 0x20 || c == 0x7F) return fail("keywords hold a control character");
    cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
  }
  if (!flush()) return fail("a keyword is longer than " + std::to_string(kMaxKeyword) + " bytes");
  if (out.size() > kMaxKeywords) return fail("more than " + std::to_string(kMaxKeywords) + " keywords");
  return out;
}

std::vector<std::string> words(std::string_view text, std::size_t max_words) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::string cur;
  auto flush = [&] {
    if (cur.size() >= 2 && cur.size() <= kMaxKeyword && out.size() < max_words && seen.insert(cur).second)
      out.push_back(cur);
    cur.clear();
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool word_char =
        c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    if (!word_char) {
      flush();
      continue;
    }
    cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
  }
  flush();
  return out;
}

std::string version_signed_bytes(const Version& v) {
  butter::wire::Writer w;
  w.bytes(kVersionMagic.data(), kVersionMagic.size());
  std::uint8_t pid[16] = {0};
  from_hex(v.page_id, pid, 16);
  w.bytes(pid, 16);
  w.bytes(v.author.data(), v.author.size());
  w.u64(v.created_unix_ms);
  w.u64(v.seq);
  std::uint8_t pred[32] = {0};
  const bool has_pred = from_hex(v.predecessor, pred, 32);
  w.u8(has_pred ? 1 : 0);
  if (has_pred) w.bytes(pred, 32);
  w.str16(v.title);
  w.u32(static_cast<std::uint32_t>(v.text.size()));
  w.bytes(v.text.data(), v.text.size());
  w.u8(static_cast<std::uint8_t>(v.keywords.size()));
  for (const auto& k : v.keywords) w.str16(k);
  const auto b = w.take();
  return std::string(b.begin(), b.end());
}

std::string encode_version(const Version& v) {
  std::string out = version_signed_bytes(v);
  out.append(sv(v.signature.data(), v.signature.size()));
  return out;
}

std::optional<Version> decode_version(std::string_view bytes, std::string* why) {
  auto fail = [&](std::string r) -> std::optional<Version> {
    if (why) *why = std::move(r);
    return std::nullopt;
  };
  butter::wire::Reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const std::string_view magic = r.bytes(kVersionMagic.size());
  if (magic == kLegacyVersionMagic)
    return fail("unsigned legacy version (BWIKIV01): versions must be signed by their author (BWIKIV02)");
  if (magic != kVersionMagic) return fail("not a wiki version");
  Version v;
  const std::string_view pid = r.bytes(16);
  v.page_id = butter::wire::to_hex(pid);
  const std::string_view author = r.bytes(32);
  if (r.ok()) std::copy(author.begin(), author.end(), v.author.begin());
  v.created_unix_ms = r.u64();
  v.seq = r.u64();
  const std::uint8_t has_pred = r.u8();
  if (has_pred > 1) return fail("bad predecessor flag");
  if (has_pred) {
    const std::string_view p = r.bytes(32);
    v.predecessor = butter::wire::to_hex(p);
  }
  v.title = std::string(r.str16(kMaxTitle));
  const std::uint32_t n = r.u32();
  if (n > kMaxText) return fail("text too long");
  v.text = std::string(r.bytes(n));
  const std::uint8_t nk = r.u8();
  if (nk > kMaxKeywords) return fail("too many keywords");
  for (std::uint8_t i = 0; i < nk && r.ok(); ++i) v.keywords.emplace_back(r.str16(kMaxKeyword));
  const std::string_view sig = r.bytes(v.signature.size());
  if (!r.ok()) return fail("truncated or oversized field");
  if (!r.at_end()) return fail("trailing bytes");
  std::copy(sig.begin(), sig.end(), v.signature.begin());
  if (auto e = check_title(v.title); !e.empty()) return fail(e);
  if (auto e = check_text(v.text); !e.empty()) return fail(e);
  for (const auto& k : v.keywords)
    if (k.empty() || !valid_utf8(k)) return fail("bad keyword");
  return v;
}

std::string head_signed_bytes(const Head& h) {
  butter::wire::Writer w;
  w.bytes(kHeadMagic.data(), kHeadMagic.size());
  std::uint8_t pid[16] = {0};
  from_hex(h.page_id, pid, 16);
  w.bytes(pid, 16);
  std::uint8_t vid[32] = {0};
  from_hex(h.version_id, vid, 32);
  w.bytes(vid, 32);
  w.u64(h.seq);
  w.bytes(h.author.data(), h.author.size());
  w.u64(h.created_unix_ms);
  w.str16(h.title);
  const auto b = w.take();
  return std::string(b.begin(), b.end());
}

std::string encode_head(const Head& h) {
  std::string out = head_signed_bytes(h);
  out.append(sv(h.signature.data(), h.signature.size()));
  return out;
}

std::optional<Head> decode_head(std::string_view bytes, std::string* why) {
  auto fail = [&](std::string r) -> std::optional<Head> {
    if (why) *why = std::move(r);
    return std::nullopt;
  };
  butter::wire::Reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (r.bytes(kHeadMagic.size()) != kHeadMagic) return fail("not a wiki head");
  Head h;
  const std::string_view pid = r.bytes(16);
  h.page_id = butter::wire::to_hex(pid);
  const std::string_view vid = r.bytes(32);
  h.version_id = butter::wire::to_hex(vid);
  h.seq = r.u64();
  const std::string_view author = r.bytes(32);
  if (r.ok()) std::copy(author.begin(), author.end(), h.author.begin());
  h.created_unix_ms = r.u64();
  h.title = std::string(r.str16(kMaxTitle));
  const std::string_view sig = r.bytes(64);
  if (!r.ok()) return fail("truncated or oversized field");
  if (!r.at_end()) return fail("trailing bytes");
  std::copy(sig.begin(), sig.end(), h.signature.begin());
  if (auto e = check_title(h.title); !e.empty()) return fail(e);
  return h;
}

bool head_is_authentic(const Head& h, const VerifyFn& verify, std::string* why) {
  if (page_id(h.author, h.title) != h.page_id) {
    if (why) *why = "page id is not the author's page of that title";
    return false;
  }
  if (!verify || !verify(h.author, kHeadContext, head_signed_bytes(h), h.signature)) {
    if (why) *why = "bad signature";
    return false;
  }
  return true;
}

bool version_is_authentic(const Version& v, const VerifyFn& verify, std::string* why) {
  if (page_id(v.author, v.title) != v.page_id) {
    if (why) *why = "page id is not the author's page of that title";
    return false;
  }
  if (!verify || !verify(v.author, kVersionContext, version_signed_bytes(v), v.signature)) {
    if (why) *why = "bad signature: not signed by the author it names";
    return false;
  }
  return true;
}

std::string head_keyword(std::string_view page_id) { return "wikihead:" + std::string(page_id); }
std::string page_keyword(std::string_view page_id) { return "wikipage:" + std::string(page_id); }

std::vector<std::string> version_keywords(const Version& v) {
  std::vector<std::string> out{std::string(kWikiKeyword), page_keyword(v.page_id)};
  std::set<std::string> seen(out.begin(), out.end());
  for (const auto& w : words(v.title, 8))
    if (seen.insert(w).second) out.push_back(w);
  for (const auto& k : v.keywords)
    if (seen.insert(k).second) out.push_back(k);
  return out;
}

std::vector<std::string> head_keywords(std::string_view page_id) {
  return {std::string(kHeadKeyword), head_keyword(page_id)};
}

}  // namespace wiki
