// butter.streams.flow/1 through its real vtable: writable() reaches the sink of the caller's own
// stream (so the host's write waiting on BUTTER_E_AGAIN goes on), and nothing else.
#include "inactive_instance.hpp"

#include <catch2/catch.hpp>

using namespace butter::host;

using butter::host::test::InactiveInstance;
using butter::host::test::kNoInstance;

namespace {

struct CountingSink : StreamSink {
  int writables = 0;
  void deliver(std::span<const std::uint8_t>) override {}
  void closed(const std::string&) override {}
  void writable() override { ++writables; }
};

}  // namespace

TEST_CASE("streams.flow: writable reaches only the caller's own stream") {
  InactiveInstance node;
  const butter_streams_flow_v1& flow = *streams_flow_extension();
  auto mine = std::make_shared<CountingSink>();
  auto theirs = std::make_shared<CountingSink>();
  auto other = node.make_instance();
  node.on_strand([&] {
    node.core->dial_streams[7] = DialStream{node.inst, mine};
    node.core->dial_streams[8] = DialStream{other, theirs};
    return 0;
  });

  CHECK(node.on_strand([&] { return flow.writable(node.host(), 7); }) == BUTTER_OK);
  CHECK(mine->writables == 1);
  // Another instance's stream, and a stream nobody has: not found, no sink called.
  CHECK(node.on_strand([&] { return flow.writable(node.host(), 8); }) == BUTTER_E_NOT_FOUND);
  CHECK(node.on_strand([&] { return flow.writable(node.host(), 9); }) == BUTTER_E_NOT_FOUND);
  CHECK(theirs->writables == 0);
  // A handle the node never made, and a call from outside the node's thread, are refused.
  CHECK(node.on_strand([&] { return flow.writable(&kNoInstance, 7); }) == BUTTER_E_INVALID);
  CHECK(flow.writable(node.host(), 7) == BUTTER_E_INVALID);
  CHECK(mine->writables == 1);
}
