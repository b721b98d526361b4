// Flow control of relayed streams (relay_flow.hpp): the ends' windows and credits, the
// ambassador's checks, and how both fall back when the far side predates flow control.
#include "messages.hpp"
#include "relay.hpp"
#include "relay_flow.hpp"

#include <catch2/catch.hpp>

using namespace butter::nat;

TEST_CASE("nat-ambassador relay flow: a writer stops at the far end's window and a Credit lets it on") {
  auto target = EndFlow::target(256 * 1024, 512 * 1024);
  CHECK(target.mode() == EndFlow::Mode::Windowed);
  CHECK(target.first_credit() == 256 * 1024);
  CHECK(target.limit() == 512 * 1024);
  for (int i = 0; i < 8; ++i) {
    REQUIRE(target.may_send());
    target.sent(64 * 1024);
  }
  CHECK_FALSE(target.may_send());
  CHECK(target.blocked());
  CHECK_FALSE(target.on_credit(400 * 1024));  // an older limit changes nothing
  CHECK(target.blocked());
  CHECK(target.on_credit(600 * 1024));  // past what was sent: unblocks
  CHECK_FALSE(target.blocked());
  CHECK(target.may_send());
}

TEST_CASE("nat-ambassador relay flow: a receiver grants a Credit per half window, as an absolute limit") {
  auto end = EndFlow::target(256 * 1024, 256 * 1024);
  std::optional<std::uint64_t> credit;
  end.on_data(64 * 1024, credit);
  CHECK_FALSE(credit);  // 192 KiB of the window left
  end.on_data(64 * 1024, credit);
  REQUIRE(credit);  // half used: the limit moves to received + window
  CHECK(*credit == 128 * 1024 + 256 * 1024);
  end.on_data(10, credit);
  CHECK_FALSE(credit);
  CHECK(end.granted() == 384 * 1024);
}

TEST_CASE("nat-ambassador relay flow: an origin sends its initial window, then learns from the first word") {
  SECTION("a Credit first: the far end takes part") {
    auto origin = EndFlow::origin(1024 * 1024);
    CHECK(origin.mode() == EndFlow::Mode::Undecided);
    for (std::uint64_t sent = 0; sent < kInitialWindow; sent += 64 * 1024) {
      REQUIRE(origin.may_send());
      origin.sent(64 * 1024);
    }
    CHECK_FALSE(origin.may_send());
    CHECK(origin.on_credit(1024 * 1024));
    CHECK(origin.mode() == EndFlow::Mode::Windowed);
    CHECK(origin.may_send());
  }
  SECTION("Data first: the far side predates flow control, and the writer is never held again") {
    auto origin = EndFlow::origin(1024 * 1024);
    origin.sent(kInitialWindow);
    CHECK_FALSE(origin.may_send());
    std::optional<std::uint64_t> credit;
    CHECK(origin.on_data(100, credit));  // unblocks
    CHECK_FALSE(credit);                 // and sends no Credit to a node that would not know it
    CHECK(origin.mode() == EndFlow::Mode::Legacy);
    origin.sent(100 * 1024 * 1024);
    CHECK(origin.may_send());
    CHECK_FALSE(origin.on_credit(1));
  }
}

TEST_CASE("nat-ambassador relay flow: windows are clamped") {
  CHECK(clamp_window(0) == kMinWindow);
  CHECK(clamp_window(1ull << 40) == kMaxWindow);
  CHECK(EndFlow::target(1, 1ull << 40).limit() == kMaxWindow);
  // The ambassador holds a target to the clamped window too, not to what the origin announced.
  auto f = CircuitFlow::announced(1ull << 40);
  REQUIRE(f.credit_from_target(kInitialWindow));  // the target takes part
  CHECK(f.from_target(kMaxWindow + kWindowSlack));
  CHECK_FALSE(f.from_target(1));
}

TEST_CASE("nat-ambassador relay flow: the ambassador ends a circuit whose end sends past its window") {
  SECTION("the origin, before the target's first Credit, is held to the initial window") {
    auto f = CircuitFlow::announced(1024 * 1024);
    CHECK(f.from_origin(kInitialWindow));
    CHECK(f.from_origin(kWindowSlack));
    CHECK_FALSE(f.from_origin(1));
  }
  SECTION("the target's Credits move the origin's limit; the origin's move the target's") {
    auto f = CircuitFlow::announced(512 * 1024);
    CHECK(f.credit_from_target(2 * 1024 * 1024) == std::optional<std::uint64_t>(2 * 1024 * 1024));
    CHECK(f.from_origin(2 * 1024 * 1024 + kWindowSlack));
    CHECK_FALSE(f.from_origin(1));
    auto g = CircuitFlow::announced(512 * 1024);
    CHECK(g.credit_from_target(256 * 1024) == std::optional<std::uint64_t>(kInitialWindow));  // never below
    CHECK(g.from_target(512 * 1024 + kWindowSlack));
    CHECK_FALSE(g.from_target(1));
    auto h = CircuitFlow::announced(512 * 1024);
    CHECK(h.credit_from_target(256 * 1024));
    CHECK(h.credit_from_origin(1024 * 1024) == std::optional<std::uint64_t>(1024 * 1024));
    CHECK(h.from_target(1024 * 1024 + kWindowSlack));
    CHECK(h.credit_from_origin(512 * 1024) == std::optional<std::uint64_t>(1024 * 1024));  // never back
  }
  SECTION("a Credit past what an honest end could grant is cut: the circuit holds at most a window here") {
    auto f = CircuitFlow::announced(512 * 1024);
    CHECK(f.from_origin(100 * 1024));
    // The target cannot have received more than the 100 KiB forwarded to it, nor grant more than
    // kMaxWindow past that.
    CHECK(f.credit_from_target(1ull << 40) == std::optional<std::uint64_t>(100 * 1024 + kMaxWindow));
    CHECK(f.from_origin(kMaxWindow + kWindowSlack));
    CHECK_FALSE(f.from_origin(1));
    CHECK(f.credit_from_origin(1ull << 40) == std::optional<std::uint64_t>(kMaxWindow));
  }
  SECTION("a target whose first message is Data predates flow control: no windows, no Credits") {
    auto f = CircuitFlow::announced(512 * 1024);
    CHECK(f.from_target(10 * 1024 * 1024));
    CHECK_FALSE(f.windowed());
    CHECK(f.from_origin(100 * 1024 * 1024));
    CHECK_FALSE(f.credit_from_target(1));
    CHECK_FALSE(f.credit_from_origin(1));
  }
  SECTION("a circuit whose origin sent no Flow has no windows") {
    CircuitFlow f;
    CHECK_FALSE(f.windowed());
    CHECK(f.from_origin(100 * 1024 * 1024));
    CHECK_FALSE(f.credit_from_target(1));
  }
}

TEST_CASE("nat-ambassador relay flow: Flow and Credit messages round-trip") {
  for (auto type : {RelayType::Flow, RelayType::Credit}) {
    RelayMessage m;
    m.type = type;
    m.leg = Leg::ToTarget;
    m.stream = 77;
    m.value = 1ull << 33;
    const auto bytes = encode_relay(m);
    CHECK(bytes.size() == 1 + 1 + 8 + 8);
    std::string why;
    auto back = decode_relay(bytes.data(), bytes.size(), why);
    INFO(why);
    REQUIRE(back);
    CHECK(back->type == type);
    CHECK(back->leg == Leg::ToTarget);
    CHECK(back->stream == 77);
    CHECK(back->value == (1ull << 33));
    auto cut = decode_relay(bytes.data(), bytes.size() - 1, why);
    CHECK_FALSE(cut);
    auto bad_leg = bytes;
    bad_leg[1] = 9;
    CHECK_FALSE(decode_relay(bad_leg.data(), bad_leg.size(), why));
  }
}

TEST_CASE("nat-ambassador relay flow: pending Flow offers are bounded and taken once") {
  FlowOffers offers;
  offers.put("a", 1, 100);
  CHECK(offers.take("a", 1) == std::optional<std::uint64_t>(100));
  CHECK_FALSE(offers.take("a", 1));
  for (std::uint64_t i = 0; i < FlowOffers::kMax + 10; ++i) offers.put("peer", i, i);
  CHECK(offers.size() == FlowOffers::kMax);
  CHECK_FALSE(offers.take("peer", 0));  // the oldest went first
  CHECK(offers.take("peer", FlowOffers::kMax + 9) == std::optional<std::uint64_t>(FlowOffers::kMax + 9));
}
