// The chat's message codec, text checks, seen-set and history: round trips, and refusal of every
// malformed, oversized or non-UTF-8 input.
#include "chat_log.hpp"
#include "chat_message.hpp"
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
}

TEST_CASE("chat decode refuses truncated, trailing, oversized and invalid messages", "[chat]") {
  const std::string good = as_string(chat::encode(sample()));
  std::string why;
  for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(chat::decode(good.substr(0, n)));
  CHECK_FALSE(chat::decode(good + "x", &why));
  CHECK(why == "trailing bytes");
  std::string v2 = good;
  v2[0] = 2;
  CHECK_FALSE(chat::decode(v2));

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
