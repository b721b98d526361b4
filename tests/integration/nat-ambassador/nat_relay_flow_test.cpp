// Flow control through an ambassador (plugins/nat-ambassador/src/relay_flow.hpp), with real
// nodes over loopback: a relayed connection whose target stops reading holds its sender back,
// and loses nothing, instead of overrunning the ambassador, which before could only end the
// circuit once its queue to the target was full.
#include "nat_test_nodes.hpp"

#include <atomic>
#include <thread>

using namespace butter;
using namespace butter::test;
using namespace butter::test::nat;

namespace {

// Holds a node's strand (and so everything the node does, reading its sockets included) until
// release(), from a thread of its own; released on destruction too, so a failing test never
// leaves a node stuck.
class StrandHold {
 public:
  explicit StrandHold(TestNode& n) {
    auto held = std::make_shared<std::promise<void>>();
    auto held_fut = held->get_future();
    thread_ = std::thread([&n, held, release = release_.get_future()]() mutable {
      n->on_strand([&] {
        held->set_value();
        release.wait();
        return 0;
      });
    });
    held_fut.wait();
  }
  ~StrandHold() { release(); }
  void release() {
    if (!thread_.joinable()) return;
    release_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> release_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("nat-ambassador a relayed connection whose target stops reading holds its sender back and loses nothing") {
  // The ambassadors' outgoing queue per connection is small (2 MiB), so that an ambassador that
  // forwarded without bound would run into it within this test's 16 MiB.
  const std::string small_queue = "max_queued_bytes_per_connection = 2097152\n";
  host::Runtime rt{2};
  host::PluginRegistry registry;
  TestNode a(rt, registry, public_manifest("a", "", small_queue));
  TestNode b(rt, registry, public_manifest("b", "", small_queue));
  TestNode p(rt, registry, private_manifest("p"));
  connect(a, b.endpoint());
  connect(p, a.endpoint());
  connect(p, b.endpoint());
  std::string ep;
  REQUIRE(wait_until(
      [&] {
        ep = str(nat_report(p), "relay_endpoint");
        return !ep.empty();
      },
      std::chrono::seconds(15)));
  TestNode& amb = str(nat_report(p), "ambassador") == a->id_hex() ? a : b;
  TestNode s(rt, registry, public_manifest("s"));
  auto hello = request_from(s, ep, "/butter/nat/1", std::string("\x03", 1) + "hello");
  REQUIRE(hello.payload == "pong:hello");
  // The target granted its first credit when the relayed stream arrived (it takes part).
  CHECK(p.counter("nat", "nat_relay_credits_sent_total") >= 1);

  // 64 echo requests of 256 KiB (16 MiB each way) sent at once while p reads nothing.
  constexpr int kCount = 64;
  constexpr std::size_t kSize = 256 * 1024;
  struct Outcome {
    std::atomic<int> done{0}, ok{0};
  };
  auto outcome = std::make_shared<Outcome>();
  {
    StrandHold hold(p);
    s->on_strand([&] {
      for (int i = 0; i < kCount; ++i) {
        std::string body(kSize, static_cast<char>('a' + i % 26));
        std::string payload = std::string("\x03", 1) + body;
        auto e = s->core()->transport->request(
            ep, "/butter/nat/1",
            std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
            std::chrono::seconds(60),
            [outcome, expect = "pong:" + body](std::int32_t status, const host::NodeId&,
                                               std::span<const std::uint8_t> answer) {
              if (status == BUTTER_OK && std::string(answer.begin(), answer.end()) == expect) ++outcome->ok;
              ++outcome->done;
            });
        if (e) ++outcome->done;  // refused at once: counted as done, not ok
      }
      return 0;
    });
    // The sender runs out of the target's window and waits, instead of pushing all 16 MiB into
    // the ambassador.
    CHECK(wait_until([&] { return s.counter("nat", "nat_relay_window_waits_total") >= 1; }, std::chrono::seconds(20)));
    CHECK(amb.counter("nat", "nat_relay_forward_failures_total") == 0);
    CHECK(amb.counter("nat", "nat_relay_window_violations_total") == 0);
  }  // p reads again

  REQUIRE(wait_until([&] { return outcome->done.load() == kCount; }, std::chrono::seconds(90)));
  CHECK(outcome->ok.load() == kCount);
  // One circuit carried it all: nothing was ended and redialled.
  CHECK(amb.counter("nat", "nat_relayed_connections_total") == 1);
  CHECK(amb.counter("nat", "nat_relay_forward_failures_total") == 0);
  CHECK(amb.counter("nat", "nat_relay_window_violations_total") == 0);
  CHECK(amb.counter("nat", "nat_relayed_bytes_total") >= 2ull * kCount * kSize);
  // Both ends granted credit as they took bytes (16 MiB each way, windows of 1 MiB).
  CHECK(s.counter("nat", "nat_relay_credits_sent_total") >= 8);
  CHECK(p.counter("nat", "nat_relay_credits_sent_total") >= 8);
}
