// The chat's message codec, text checks, seen-set and history: round trips, and refusal of every
// malformed, oversized or non-UTF-8 input; a message is authentic only when signed by the author it
// names (real Ed25519 in butter.identity/1's framing), and unsigned version-1 messages are refused.
#include "chat_log.hpp"
#include "chat_message.hpp"
#include "support/test_signer.hpp"
#include <butter/cpp/http.hpp>

#include <catch2/catch.hpp>

namespace {
chat::Message sample() {
  chat::Message m;
  m.id = "00112233445566778899aabbccddeeff";
  m.author = std::string(64, 'a');
  m.nick = "alice";
  m.sent_unix_ms = 1700000000123;
  m.text = "hello, wörld";
  m.hops_left = 7;
  return m;
}
chat::Message signed_by(const butter::test::TestSigner& k) {
  auto m = sample();
  m.author = k.hex();
  m.signature = k.sign(chat::kSignContext, chat::signed_bytes(m));
  return m;
}
constexpr auto verify = &butter::test::TestSigner::verify;
std::string as_string(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }
}  // namespace

TEST_CASE("a chat message round-trips through the wire format", "[chat]") {
  const auto m = sample();
  const auto d = chat::decode(as_string(chat::encode(m)));
  REQUIRE(d);
  CHECK(d->id == m.id);
  CHECK(d->author == m.author);
  CHECK(d->nick == m.nick);
  CHECK(d->sent_unix_ms == m.sent_unix_ms);
  CHECK(d->text == m.text);
  CHECK(d->hops_left == 7);
  CHECK(d->signature == m.signature);
}

TEST_CASE("a chat message is authentic only when signed by the author it names", "[chat]") {
  butter::test::TestSigner alice, mallory;
  const auto m = signed_by(alice);
  std::string why;
  CHECK(chat::is_authentic(*chat::decode(as_string(chat::encode(m))), verify, &why));
  INFO(why);

  // Forwarders decrement hops_left: it is outside the signature.
  auto fwd = m;
  fwd.hops_left = 0;
  CHECK(chat::is_authentic(*chat::decode(as_string(chat::encode(fwd))), verify));

  // Every byte the signature covers, flipped, breaks it (or the decoding).
  const std::string good = as_string(chat::encode(m));
  const std::size_t hops_at = good.size() - 64 - 1;
  for (std::size_t i = 0; i < good.size(); ++i) {
    if (i == hops_at) continue;
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto d = chat::decode(bad);
    CHECK_FALSE((d && chat::is_authentic(*d, verify)));
  }

  SECTION("signed by someone else in the author's name") {
    auto f = m;
    f.signature = mallory.sign(chat::kSignContext, chat::signed_bytes(f));
    CHECK_FALSE(chat::is_authentic(f, verify, &why));
    CHECK(why == "bad signature");
  }
  SECTION("signed by the author under another context") {
    auto f = m;
    f.signature = alice.sign("butter.example.wiki/version", chat::signed_bytes(f));
    CHECK_FALSE(chat::is_authentic(f, verify));
  }
  SECTION("another author named over a genuine signature") {
    auto f = m;
    f.author = mallory.hex();
    CHECK_FALSE(chat::is_authentic(f, verify));
  }
  SECTION("an unsigned legacy message") {
    std::string legacy = good.substr(0, hops_at + 1);
    legacy[0] = 1;
    CHECK_FALSE(chat::decode(legacy, &why));
    CHECK(why == "unsigned legacy message (version 1)");
  }
}

TEST_CASE("chat decode refuses truncated, trailing, oversized and invalid messages", "[chat]") {
  const std::string good = as_string(chat::encode(sample()));
  std::string why;
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(chat::decode(good.substr(0, n)));
  CHECK_FALSE(chat::decode(good + "x", &why));
  CHECK(why == "trailing bytes");
  std::string v3 = good;
  v3[0] = 3;
  CHECK_FALSE(chat::decode(v3));

  auto bad = [](auto mutate) {
    auto m = sample();
    mutate(m);
    return chat::decode(as_string(chat::encode(m))).has_value();
  };
  CHECK_FALSE(bad([](chat::Message& m) { m.text = std::string(chat::kMaxText + 1, 'x'); }));
  CHECK(bad([](chat::Message& m) { m.text = std::string(chat::kMaxText, 'x'); }));
  CHECK_FALSE(bad([](chat::Message& m) { m.text = ""; }));
  CHECK_FALSE(bad([](chat::Message& m) { m.text = "bad \xff utf8"; }));
  CHECK_FALSE(bad([](chat::Message& m) { m.text = "line\nbreak"; }));
  CHECK_FALSE(bad([](chat::Message& m) { m.nick = std::string(chat::kMaxNick + 1, 'n'); }));
  CHECK_FALSE(bad([](chat::Message& m) { m.author = "not-a-node-id"; }));
  CHECK_FALSE(bad([](chat::Message& m) { m.author = std::string(64, 'G'); }));
  // Lower-case only: "AB.." would be a second spelling of the author "ab..".
  CHECK_FALSE(bad([](chat::Message& m) { m.author = std::string(64, 'A'); }));
  CHECK_FALSE(bad([](chat::Message& m) { m.author = std::string(63, 'a'); }));
  CHECK_FALSE(bad([](chat::Message& m) { m.hops_left = chat::kMaxHops + 1; }));
}

TEST_CASE("chat UTF-8 check refuses overlong forms surrogates and truncated sequences", "[chat]") {
  CHECK(chat::valid_utf8("plain"));
  CHECK(chat::valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  CHECK_FALSE(chat::valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(chat::valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(chat::valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(chat::valid_utf8("\xe2\x82"));          // truncated
  CHECK_FALSE(chat::valid_utf8("\x80"));
}

TEST_CASE("the chat seen-set forgets the oldest ids past its capacity", "[chat]") {
  chat::SeenSet s(3);
  CHECK(s.insert("a"));
  CHECK_FALSE(s.insert("a"));
  CHECK(s.insert("b"));
  CHECK(s.insert("c"));
  CHECK(s.insert("d"));
  CHECK(s.size() == 3);
  CHECK_FALSE(s.contains("a"));
  CHECK(s.contains("d"));
}

TEST_CASE("the chat log numbers entries refuses duplicates and keeps the last ones", "[chat]") {
  chat::Log log(2, 10);
  auto m = sample();
  REQUIRE(log.add(m, true));
  CHECK_FALSE(log.add(m, false));
  m.id = "ffffffffffffffffffffffffffffffff";
  REQUIRE(log.add(m, false));
  m.id = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  REQUIRE(log.add(m, false)->seq == 3);
  CHECK(log.size() == 2);
  const auto since = log.since(1, 10);
  REQUIRE(since.size() == 2);
  CHECK(since[0]->seq == 2);
  CHECK(log.since(3, 10).empty());
  CHECK(log.last(1).at(0).id == m.id);
}

TEST_CASE("chat history round-trips and refuses a bad count or entry", "[chat]") {
  std::vector<chat::Message> ms{sample(), sample()};
  ms[1].id = "ffffffffffffffffffffffffffffffff";
  const std::string h = as_string(chat::encode_history(ms));
  auto d = chat::decode_history(h, 10);
  REQUIRE(d);
  CHECK(d->size() == 2);
  CHECK_FALSE(chat::decode_history(h, 1));
  CHECK_FALSE(chat::decode_history(h.substr(0, h.size() - 1), 10));
  CHECK_FALSE(chat::decode_history(h + "x", 10));
}

TEST_CASE("chat forms decode strictly and JSON strings are escaped", "[chat]") {
  auto f = butter::parse_form("text=hello+w%C3%B6rld&nick=al%26ice&empty=");
  REQUIRE(f);
  CHECK((*f)["text"] == "hello wörld");
  CHECK((*f)["nick"] == "al&ice");
  CHECK((*f)["empty"].empty());
  CHECK_FALSE(butter::parse_form("text=%zz"));
  CHECK_FALSE(butter::parse_form("text=%4"));
  CHECK_FALSE(butter::parse_form("text=a&text=b"));
  CHECK(butter::json_string("a\"b\\c\n<\x01") == "\"a\\\"b\\\\c\\n\\u003c\\u0001\"");
}
