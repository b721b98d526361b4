// The pending-request table (pending_requests.hpp) on its own: each request completes exactly
// once — by its response on the connection it went out on, by its deadline, or by its connection
// closing — a cancelled one never calls back, and stopping owes every caller one cancellation.
#include "transport/pending_requests.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace butter::host;
using namespace std::chrono_literals;

namespace {

struct Call {
  std::int32_t status = 0;
  NodeId from;
  std::string text;
};

// A table on a single-threaded io_context that the test runs by hand, and the calls it makes.
struct PendingFixture {
  IoContext io;
  Strand strand = boost::asio::make_strand(io);
  std::uint64_t timed_out = 0;
  PendingRequests table{strand, "[test]", timed_out};
  std::map<std::uint64_t, std::vector<Call>> calls;

  ResponseFn recorder(std::uint64_t id) {
    return [this, id](std::int32_t status, const NodeId& from, std::span<const std::uint8_t> payload) {
      calls[id].push_back({status, from, std::string(payload.begin(), payload.end())});
    };
  }
  std::uint64_t add(std::uint64_t connection, std::chrono::milliseconds timeout, NodeId peer = {}) {
    const auto id = table.next_id();
    table.add(id, recorder(id), connection, peer, timeout);
    return id;
  }
  void run_for(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
};

NodeId pr_node(std::uint8_t b) {
  NodeId id;
  id.bytes.fill(b);
  return id;
}

std::span<const std::uint8_t> pr_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("pending requests: a response completes its request exactly once and stops its deadline", "[pending]") {
  PendingFixture f;
  const auto id = f.add(7, 50ms, pr_node(1));
  CHECK(f.table.awaits(7));
  CHECK(f.table.respond(id, 7, 0, pr_bytes("pong")));
  REQUIRE(f.calls[id].size() == 1);
  CHECK(f.calls[id][0].status == 0);
  CHECK(f.calls[id][0].from == pr_node(1));
  CHECK(f.calls[id][0].text == "pong");
  CHECK_FALSE(f.table.respond(id, 7, 0, pr_bytes("again")));  // late: already answered
  f.run_for(150ms);                                           // past the deadline
  CHECK(f.calls[id].size() == 1);
  CHECK(f.timed_out == 0);
  CHECK(f.table.size() == 0);
  CHECK_FALSE(f.table.awaits(7));
}

TEST_CASE("pending requests: a response on another connection is late and leaves the request", "[pending]") {
  PendingFixture f;
  const auto id = f.add(7, 0ms);
  CHECK_FALSE(f.table.respond(id, 8, 0, pr_bytes("pong")));
  CHECK_FALSE(f.table.respond(id + 1, 7, 0, pr_bytes("pong")));  // an id never sent
  CHECK(f.calls.empty());
  CHECK(f.table.size() == 1);
  CHECK(f.table.respond(id, 7, 0, pr_bytes("pong")));
  CHECK(f.calls[id].size() == 1);
}

TEST_CASE("pending requests: a deadline completes its request once with TIMEOUT and counts it", "[pending]") {
  PendingFixture f;
  const auto slow = f.add(7, 20ms);
  const auto none = f.add(7, 0ms);  // no deadline
  f.run_for(200ms);
  REQUIRE(f.calls[slow].size() == 1);
  CHECK(f.calls[slow][0].status == BUTTER_E_TIMEOUT);
  CHECK(f.calls[slow][0].text == "no response within 20 ms");
  CHECK(f.timed_out == 1);
  CHECK(f.calls.count(none) == 0);
  CHECK_FALSE(f.table.respond(slow, 7, 0, pr_bytes("pong")));  // too late
  CHECK(f.calls[slow].size() == 1);
  CHECK(f.table.size() == 1);
}

TEST_CASE("pending requests: closing a connection fails its requests only", "[pending]") {
  PendingFixture f;
  const auto a = f.add(1, 1000ms);
  const auto b = f.add(1, 0ms);
  const auto other = f.add(2, 0ms);
  f.table.fail_connection(1, "connection closed: bye");
  for (auto id : {a, b}) {
    REQUIRE(f.calls[id].size() == 1);
    CHECK(f.calls[id][0].status == BUTTER_E_UNAVAILABLE);
    CHECK(f.calls[id][0].text == "connection closed: bye");
  }
  CHECK(f.calls.count(other) == 0);
  CHECK_FALSE(f.table.awaits(1));
  CHECK(f.table.awaits(2));
  f.run_for(50ms);  // a's deadline was stopped with it
  CHECK(f.calls[a].size() == 1);
  f.table.fail_connection(1, "again");
  CHECK(f.calls[a].size() == 1);
}

TEST_CASE("pending requests: a cancelled request never calls back", "[pending]") {
  PendingFixture f;
  const auto id = f.add(1, 20ms);
  CHECK(f.table.cancel(id));
  CHECK_FALSE(f.table.cancel(id));
  f.run_for(100ms);
  f.table.fail_connection(1, "closed");
  CHECK_FALSE(f.table.respond(id, 1, 0, pr_bytes("pong")));
  CHECK(f.calls.empty());
  CHECK(f.timed_out == 0);
}

TEST_CASE("pending requests: the peer named by HELLO reaches the callback", "[pending]") {
  PendingFixture f;
  const auto id = f.add(3, 0ms);  // sent before the connection's HELLO
  f.table.peer_known(3, pr_node(9));
  f.table.complete(id, 0, "done");
  REQUIRE(f.calls[id].size() == 1);
  CHECK(f.calls[id][0].from == pr_node(9));
  CHECK(f.calls[id][0].text == "done");
}

TEST_CASE("pending requests: stopping owes each request one CANCELLED call and no deadline fires after", "[pending]") {
  PendingFixture f;
  const auto a = f.add(1, 20ms);
  const auto b = f.add(2, 0ms);
  auto owed = f.table.stop("transport stopped");
  CHECK(f.table.size() == 0);
  CHECK(f.calls.empty());  // not before the caller makes the calls
  for (auto& call : owed) call();
  for (auto id : {a, b}) {
    REQUIRE(f.calls[id].size() == 1);
    CHECK(f.calls[id][0].status == BUTTER_E_CANCELLED);
    CHECK(f.calls[id][0].text == "transport stopped");
  }
  f.run_for(100ms);
  CHECK(f.calls[a].size() == 1);
  CHECK(f.timed_out == 0);
}

TEST_CASE("pending requests: a callback that throws is contained and its request still completes once", "[pending]") {
  PendingFixture f;
  int called = 0;
  const auto id = f.table.next_id();
  f.table.add(
      id,
      [&](std::int32_t, const NodeId&, std::span<const std::uint8_t>) {
        ++called;
        throw std::runtime_error("plugin bug");
      },
      1, {}, 0ms);
  CHECK(f.table.respond(id, 1, 0, pr_bytes("x")));
  CHECK(called == 1);
  CHECK_FALSE(f.table.respond(id, 1, 0, pr_bytes("x")));
  CHECK(called == 1);
}

TEST_CASE("pending requests: the table may go while a deadline is still queued", "[pending]") {
  IoContext io;
  Strand strand = boost::asio::make_strand(io);
  std::uint64_t timed_out = 0;
  int called = 0;
  {
    PendingRequests table(strand, "[test]", timed_out);
    table.add(
        table.next_id(), [&](std::int32_t, const NodeId&, std::span<const std::uint8_t>) { ++called; }, 1, {}, 1ms);
  }
  io.run_for(50ms);  // the cancelled wait runs against a destroyed table and returns at once
  CHECK(called == 0);
  CHECK(timed_out == 0);
}
