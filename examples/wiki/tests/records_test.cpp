// The wiki's records: versions and heads round-trip; decoding refuses truncated, trailing,
// oversized and non-UTF-8 input; a head is authentic only when its author signed it and its page
// id is the author's page of its title (a forged or tampered head is refused); a version likewise
// (signed over every field by the author it names, with its own context; unsigned legacy refused). Signatures are real
// Ed25519 (libsodium) over the same domain-separated bytes as the host's butter.identity/1.
#include "records.hpp"
#include "support/test_signer.hpp"

#include <catch2/catch.hpp>

#include <functional>

namespace {

using Signer = butter::test::TestSigner;
constexpr auto verify = &Signer::verify;

wiki::Head signed_head(const Signer& a, const std::string& title, std::uint64_t seq) {
  wiki::Head h;
  h.author = a.pk;
  h.title = title;
  h.page_id = wiki::page_id(a.pk, title);
  h.version_id = std::string(64, 'c');
  h.seq = seq;
  h.created_unix_ms = 1700000000000;
  h.signature = a.sign(wiki::kHeadContext, wiki::head_signed_bytes(h));
  return h;
}

wiki::Version sample_version(const Signer& a) {
  wiki::Version v;
  v.title = "Butter Guide";
  v.page_id = wiki::page_id(a.pk, v.title);
  v.author = a.pk;
  v.created_unix_ms = 1700000000001;
  v.seq = 1700000000001;
  v.predecessor = std::string(64, 'd');
  v.text = "line one\nline two\twith a tab — and UTF-8";
  v.keywords = {"guide", "butter"};
  v.signature = a.sign(wiki::kVersionContext, wiki::version_signed_bytes(v));
  return v;
}

}  // namespace

TEST_CASE("a wiki version round-trips and its keywords name the page and the title words", "[wiki]") {
  Signer a;
  const auto v = sample_version(a);
  const auto d = wiki::decode_version(wiki::encode_version(v));
  REQUIRE(d);
  CHECK(d->page_id == v.page_id);
  CHECK(d->author == v.author);
  CHECK(d->seq == v.seq);
  CHECK(d->predecessor == v.predecessor);
  CHECK(d->title == v.title);
  CHECK(d->text == v.text);
  CHECK(d->keywords == v.keywords);
  CHECK(d->signature == v.signature);
  auto first = v;
  first.predecessor.clear();
  CHECK(wiki::decode_version(wiki::encode_version(first))->predecessor.empty());
  const auto kws = wiki::version_keywords(v);
  CHECK(kws == std::vector<std::string>{"butter-wiki", "wikipage:" + v.page_id, "butter", "guide"});
}

TEST_CASE("wiki version decoding refuses truncated trailing and invalid bytes", "[wiki]") {
  Signer a;
  const std::string good = wiki::encode_version(sample_version(a));
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(wiki::decode_version(good.substr(0, n)));
  CHECK_FALSE(wiki::decode_version(good + "x"));
  CHECK_FALSE(wiki::decode_version("BWIKIH01" + good.substr(8)));
  auto v = sample_version(a);
  v.text = "bad \xc3";
  CHECK_FALSE(wiki::decode_version(wiki::encode_version(v)));
  v = sample_version(a);
  v.title = "tab\x01";
  CHECK_FALSE(wiki::decode_version(wiki::encode_version(v)));
}

TEST_CASE("a wiki head signed by its author is authentic and survives the round trip", "[wiki]") {
  Signer a;
  const auto h = signed_head(a, "Home", 5);
  const auto d = wiki::decode_head(wiki::encode_head(h));
  REQUIRE(d);
  CHECK(d->page_id == h.page_id);
  CHECK(d->version_id == h.version_id);
  CHECK(d->seq == 5);
  std::string why;
  CHECK(wiki::head_is_authentic(*d, verify, &why));
  INFO(why);
}

TEST_CASE("a forged or tampered wiki head is refused", "[wiki]") {
  Signer a, mallory;
  const auto h = signed_head(a, "Home", 5);
  std::string why;

  SECTION("a tampered sequence number") {
    std::string bytes = wiki::encode_head(h);
    bytes[8 + 16 + 32 + 7] ^= 1;  // the low byte of seq
    auto d = wiki::decode_head(bytes);
    REQUIRE(d);
    CHECK(d->seq != 5);
    CHECK_FALSE(wiki::head_is_authentic(*d, verify, &why));
    CHECK(why == "bad signature");
  }
  SECTION("another version named") {
    auto t = h;
    t.version_id = std::string(64, 'e');
    CHECK_FALSE(wiki::head_is_authentic(t, verify, &why));
  }
  SECTION("signed by someone else under the author's key") {
    auto f = h;
    f.signature = mallory.sign(wiki::kHeadContext, wiki::head_signed_bytes(f));
    CHECK_FALSE(wiki::head_is_authentic(f, verify, &why));
    CHECK(why == "bad signature");
  }
  SECTION("someone else's head claiming the author's page") {
    auto f = signed_head(mallory, "Home", 99);
    f.page_id = h.page_id;
    f.signature = mallory.sign(wiki::kHeadContext, wiki::head_signed_bytes(f));
    CHECK_FALSE(wiki::head_is_authentic(f, verify, &why));
    CHECK(why == "page id is not the author's page of that title");
  }
  SECTION("a signature made for another purpose") {
    auto f = h;
    f.signature = a.sign("butter.example.other/1", wiki::head_signed_bytes(f));
    CHECK_FALSE(wiki::head_is_authentic(f, verify, &why));
  }
  SECTION("a truncated or padded head does not decode") {
    const std::string bytes = wiki::encode_head(h);
    for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(wiki::decode_head(bytes.substr(0, n)));
    CHECK_FALSE(wiki::decode_head(bytes + "x"));
  }
}

TEST_CASE("wiki page ids belong to an author and a title", "[wiki]") {
  Signer a, b;
  CHECK(wiki::page_id(a.pk, "Home") == wiki::page_id(a.pk, "Home"));
  CHECK(wiki::page_id(a.pk, "Home") != wiki::page_id(b.pk, "Home"));
  CHECK(wiki::page_id(a.pk, "Home") != wiki::page_id(a.pk, "home"));
  CHECK(butter::wire::is_lower_hex(wiki::page_id(a.pk, "Home"), 32));
}

TEST_CASE("wiki keywords and words are parsed and bounded", "[wiki]") {
  auto k = wiki::parse_keywords("Alpha, beta  gamma,alpha,,");
  REQUIRE(k);
  CHECK(*k == std::vector<std::string>{"alpha", "beta", "gamma"});
  CHECK(wiki::parse_keywords("")->empty());
  CHECK_FALSE(wiki::parse_keywords(std::string(41, 'k')));
  CHECK_FALSE(wiki::parse_keywords("a\x01"));
  CHECK_FALSE(wiki::parse_keywords("\xff"));
  std::string many;
  for (int i = 0; i < 17; ++i) many += "k" + std::to_string(i) + " ";
  CHECK_FALSE(wiki::parse_keywords(many));
  CHECK(wiki::words("The Butter-Wiki: a guide (v2)!", 8) ==
        std::vector<std::string>{"the", "butter-wiki", "guide", "v2"});
  CHECK(wiki::words("one two three", 2).size() == 2);
  CHECK(wiki::check_title("").size() > 0);
  CHECK(wiki::check_title("   ").size() > 0);
  CHECK(wiki::check_title(std::string(201, 't')).size() > 0);
  CHECK(wiki::check_title("Home").empty());
  CHECK(wiki::check_text(std::string(wiki::kMaxText + 1, 't')).size() > 0);
  CHECK(wiki::check_text("ok\r\nfine").empty());
}

TEST_CASE("a wiki version signed by its author is authentic after the round trip", "[wiki]") {
  Signer a;
  const auto v = sample_version(a);
  const std::string bytes = wiki::encode_version(v);
  CHECK(bytes.substr(0, 8) == "BWIKIV02");
  CHECK(bytes.size() == wiki::version_signed_bytes(v).size() + 64);
  const auto d = wiki::decode_version(bytes);
  REQUIRE(d);
  std::string why;
  CHECK(wiki::version_is_authentic(*d, verify, &why));
  INFO(why);
  auto first = v;
  first.predecessor.clear();
  first.keywords.clear();
  first.signature = a.sign(wiki::kVersionContext, wiki::version_signed_bytes(first));
  const auto f = wiki::decode_version(wiki::encode_version(first));
  REQUIRE(f);
  CHECK(wiki::version_is_authentic(*f, verify, &why));
  CHECK(wiki::kVersionContext != wiki::kHeadContext);
}

TEST_CASE("a forged or tampered wiki version is refused", "[wiki]") {
  Signer a, mallory;
  const auto v = sample_version(a);
  std::string why;

  SECTION("a flipped bit anywhere in the encoded version") {
    // Every byte after the magic: page id, author, created, seq, predecessor flag and id, title,
    // text length and text, keyword count and keywords, signature.
    const std::string bytes = wiki::encode_version(v);
    std::size_t decoded_but_refused = 0;
    for (std::size_t i = 8; i < bytes.size(); ++i) {
      std::string t = bytes;
      t[i] = static_cast<char>(t[i] ^ 0x01);
      auto d = wiki::decode_version(t);
      INFO("byte " << i);
      if (d) {
        CHECK_FALSE(wiki::version_is_authentic(*d, verify));
        ++decoded_but_refused;
      }
    }
    CHECK(decoded_but_refused > bytes.size() / 2);
  }
  SECTION("each field changed after signing") {
    std::vector<std::function<void(wiki::Version&)>> edits = {
        [](wiki::Version& t) { t.page_id[0] = t.page_id[0] == 'a' ? 'b' : 'a'; },
        [&](wiki::Version& t) { t.author = mallory.pk; },
        [](wiki::Version& t) { t.created_unix_ms += 1; },
        [](wiki::Version& t) { t.seq += 1; },
        [](wiki::Version& t) { t.predecessor = std::string(64, 'e'); },
        [](wiki::Version& t) { t.predecessor.clear(); },
        [](wiki::Version& t) { t.title = "Butter Guidf"; },
        [](wiki::Version& t) { t.text += "!"; },
        [](wiki::Version& t) { t.keywords.push_back("evil"); },
        [](wiki::Version& t) { t.keywords[0] = "guidf"; },
    };
    for (std::size_t i = 0; i < edits.size(); ++i) {
      auto t = v;
      edits[i](t);
      INFO("edit " << i);
      auto d = wiki::decode_version(wiki::encode_version(t));
      REQUIRE(d);
      CHECK_FALSE(wiki::version_is_authentic(*d, verify, &why));
    }
  }
  SECTION("signed by another key in the author's name") {
    auto f = v;
    f.text = "forged text";
    f.signature = mallory.sign(wiki::kVersionContext, wiki::version_signed_bytes(f));
    CHECK_FALSE(wiki::version_is_authentic(*wiki::decode_version(wiki::encode_version(f)), verify, &why));
    CHECK(why == "bad signature: not signed by the author it names");
  }
  SECTION("an author field naming someone else than the page's author") {
    auto f = v;
    f.author = mallory.pk;  // the page id stays the author's page
    f.signature = mallory.sign(wiki::kVersionContext, wiki::version_signed_bytes(f));
    CHECK_FALSE(wiki::version_is_authentic(f, verify, &why));
    CHECK(why == "page id is not the author's page of that title");
  }
  SECTION("a signature made under the head's context or another one") {
    auto f = v;
    f.signature = a.sign(wiki::kHeadContext, wiki::version_signed_bytes(f));
    CHECK_FALSE(wiki::version_is_authentic(f, verify, &why));
    f.signature = a.sign("butter.example.other/1", wiki::version_signed_bytes(f));
    CHECK_FALSE(wiki::version_is_authentic(f, verify, &why));
    f.signature = wiki::Sig{};
    CHECK_FALSE(wiki::version_is_authentic(f, verify, &why));
  }
  SECTION("an unsigned legacy version (BWIKIV01) is refused with that reason") {
    const std::string legacy = "BWIKIV01" + wiki::version_signed_bytes(v).substr(8);
    CHECK_FALSE(wiki::decode_version(legacy, &why));
    CHECK_THAT(why, Catch::Contains("unsigned legacy version"));
    CHECK_FALSE(wiki::decode_version(legacy + std::string(64, '\0')));
  }
  SECTION("a version without its signature does not decode") {
    const std::string bytes = wiki::encode_version(v);
    CHECK_FALSE(wiki::decode_version(bytes.substr(0, bytes.size() - 64), &why));
  }
}
