// The transport's bounds against slow, silent and greedy peers: request ids a peer that never
// reads leaves behind, partial frames (deadline and transport-wide memory), silent connections at
// max_connections, and the address book under a churn of node ids and endpoints. Each test plays
// the hostile peer with raw clients over loopback and asserts the bound, never a timing.
#include "harness.hpp"
#include "raw_client.hpp"
#include "transport/address_book.hpp"

using namespace butter::test;
using namespace std::chrono_literals;

namespace {

NodeId fresh_id(std::uint32_t n) {
  NodeId id;
  for (int i = 0; i < 4; ++i) id.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  id.bytes[31] = 1;
  return id;
}

// Sends the first `sent` bytes of a frame of `total` payload bytes, sealed, after HELLO.
void send_partial_frame(RawSecureClient& c, std::size_t total, std::size_t sent) {
  Frame f;
  f.type = FrameType::kOneway;
  f.protocol = "/bulk/1";
  f.payload.assign(total, 0x5a);
  auto bytes = encode_frame(f);
  bytes.resize(sent);
  std::vector<std::uint8_t> wire;
  REQUIRE(c.ch.seal(bytes, wire));
  c.write(wire);
}

Transport::Usage usage(TestNode& n) {
  return n.on([&] { return n.transport->usage(); });
}

// `count` sealed requests on `protocol` with ids from `first_id`, in one buffer to write at once.
std::vector<std::uint8_t> sealed_requests(RawSecureClient& c, std::uint64_t first_id, int count,
                                          const std::string& protocol, std::vector<std::uint8_t> payload = {}) {
  std::vector<std::uint8_t> burst;
  for (int i = 0; i < count; ++i) {
    Frame f;
    f.type = FrameType::kRequest;
    f.request_id = first_id + static_cast<std::uint64_t>(i);
    f.protocol = protocol;
    f.payload = payload;
    auto w = c.sealed(f);
    burst.insert(burst.end(), w.begin(), w.end());
  }
  return burst;
}

}  // namespace

TEST_CASE("address book: nodes and endpoints per node are bounded, the least recently used forgotten first",
          "[transport][bounds]") {
  AddressBook book(16);
  for (std::uint32_t i = 0; i < 100000; ++i) {
    book.add(fresh_id(i), {"tcp://127.0.0.1:" + std::to_string(1000 + i % 60000)}, false);
    book.learn_uri("tcp://10.0.0.1:" + std::to_string(i), fresh_id(i));
  }
  CHECK(book.nodes() == 16);
  CHECK(book.uris() == 32);
  CHECK(book.endpoints(fresh_id(0)).empty());  // long forgotten
  CHECK(book.endpoints(fresh_id(99999)).size() == 1);
  CHECK(book.who_is("tcp://10.0.0.1:99999") == fresh_id(99999));
  CHECK_FALSE(book.who_is("tcp://10.0.0.1:0"));

  // Reading an entry keeps it: 15 newcomers later it is still there, the others are gone.
  const NodeId kept = fresh_id(99990);
  REQUIRE(book.endpoints(kept).size() == 1);
  for (std::uint32_t i = 200000; i < 200015; ++i) book.add(fresh_id(i), {"tcp://127.0.0.1:1"}, false);
  CHECK(book.endpoints(kept).size() == 1);
  CHECK(book.endpoints(fresh_id(99991)).empty());

  // One node: at most kMaxEndpointsPerNode, duplicates once, `front` first in order.
  const NodeId n = fresh_id(7);
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back("tcp://127.0.0.1:" + std::to_string(2000 + i));
  book.add(n, many, false);
  book.add(n, many, false);
  auto list = book.endpoints(n);
  REQUIRE(list.size() == AddressBook::kMaxEndpointsPerNode);
  CHECK(list.front() == "tcp://127.0.0.1:2000");
  book.add(n, {"relay://x/1", "tcp://127.0.0.1:2001"}, true);
  list = book.endpoints(n);
  CHECK(list.size() == AddressBook::kMaxEndpointsPerNode);
  CHECK(list[0] == "relay://x/1");
  CHECK(list[1] == "tcp://127.0.0.1:2001");
  CHECK(list[2] == "tcp://127.0.0.1:2000");
  // A newer endpoint added at the back replaces the last one rather than being ignored.
  book.add(n, {"tcp://127.0.0.1:9999"}, false);
  CHECK(book.endpoints(n).back() == "tcp://127.0.0.1:9999");
}

TEST_CASE("a churn of fresh node ids saying HELLO leaves the address book bounded", "[transport][bounds]") {
  IoThread t;
  TestNode b(t.io, [](TransportOptions& o) { o.max_known_addresses = 16; });
  for (int i = 0; i < 60; ++i) {
    RawSecureClient c(b.uri);
    REQUIRE(c.ch.established());
    Hello h;
    h.id = c.identity->id();
    for (int e = 0; e < 8; ++e)
      h.endpoints.push_back("tcp://127.0.0." + std::to_string(e + 2) + ":" + std::to_string(3000 + i));
    Frame f;
    f.type = FrameType::kHello;
    f.payload = encode_hello(h);
    c.write(c.sealed(f));
    REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(h.id); }));
  }
  auto u = usage(b);
  CHECK(u.address_book_nodes == 16);
  CHECK(u.address_book_uris <= 32);
}

TEST_CASE("a peer that never reads its responses leaves at most max_inflight request ids and bounded queues",
          "[transport][bounds]") {
  IoThread t;
  const std::string big(64 * 1024, 'r');
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.max_inflight_requests = 8;
        o.max_queued_bytes_per_connection = 256 * 1024;
      },
      [&big](TestNode& n, const NodeId&, const std::string&, const std::string&, ReplyToken tok) {
        (void)n.transport->reply(tok, BUTTER_OK, bytes(big));  // AGAIN once the queue is full: not retried
      });
  RawSecureClient greedy(b.uri);
  REQUIRE(greedy.ch.established());
  greedy.hello();
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(greedy.identity->id()); }));
  // Shrink the client's receive buffer so the server's writes stall early.
  int small = 4096;
  ::setsockopt(greedy.s.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  constexpr int kRequests = 3000;
  greedy.write(sealed_requests(greedy, 1, kRequests, "/big/1", {1, 2, 3}));  // and never read
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->stats().frames_in >= kRequests + 1; }, 30s));
  auto u = usage(b);
  CHECK(u.open_inbound_requests <= 8);
  CHECK(u.queued_out_bytes <= 256 * 1024 + 64 * 1024 + 1024);
  CHECK(b.stats().requests_shed > 0);
  // An honest peer is still served.
  TestNode a(t.io);
  auto r = a.wait_outcome(a.request(b.uri, "/big/1", "x"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload.size() == big.size());
}

TEST_CASE("a frame left unfinished closes its connection at the frame deadline and frees its buffer",
          "[transport][bounds]") {
  IoThread t;
  TestNode b(t.io, [](TransportOptions& o) {
    o.frame_deadline = 1s;
    o.frame_min_rate = 1024 * 1024 * 1024;  // the deadline is the base alone
  });
  RawSecureClient staller(b.uri);
  REQUIRE(staller.ch.established());
  staller.hello();
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(staller.identity->id()); }));
  send_partial_frame(staller, 1024 * 1024, 512 * 1024);  // half of a 1 MiB frame, then nothing
  REQUIRE(b.wait([](TestNode& n) { return n.transport->stats().bytes_in >= 512 * 1024; }));
  CHECK(staller.closed_by_server());
  CHECK(b.stats().frame_timeouts == 1);
  CHECK(usage(b).partial_in_bytes == 0);
  // A frame that completes in time is not affected.
  TestNode a(t.io), c(t.io);
  connect(a, b);
  std::string payload(2 * 1024 * 1024, 'p');
  REQUIRE_FALSE(a.on([&] { return a.transport->send(b.id.hex(), "/bulk/1", bytes(payload)); }));
  CHECK(b.wait([](TestNode& n) { return n.messages.size() == 1 && n.messages[0].payload.size() == 2 * 1024 * 1024; }));
  CHECK(b.stats().frame_timeouts == 1);
}

TEST_CASE("partial frames of all connections stay within the transport's memory: the one begun first is closed",
          "[transport][bounds]") {
  IoThread t;
  TestNode b(t.io, [](TransportOptions& o) {
    o.memory_limit = 6 * 1024 * 1024;  // 3 MiB for partial frames
    o.frame_deadline = 60s;
  });
  // Four senders each stall 900 KiB into a 2 MiB frame: together they hold more than 3 MiB.
  std::vector<std::unique_ptr<RawSecureClient>> stallers;
  for (int i = 0; i < 4; ++i) {
    stallers.push_back(std::make_unique<RawSecureClient>(b.uri));
    auto& s = *stallers.back();
    REQUIRE(s.ch.established());
    s.hello();
    REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(s.identity->id()); }));
    const auto before = b.stats().bytes_in;
    send_partial_frame(s, 2 * 1024 * 1024, 900 * 1024);
    REQUIRE(b.wait([&](TestNode& n) { return n.transport->stats().bytes_in >= before + 900 * 1024; }));
    CHECK(usage(b).partial_in_bytes <= 3 * 1024 * 1024);
  }
  CHECK(stallers[0]->closed_by_server());  // its frame began first
  CHECK(b.stats().memory_closes >= 1);
  CHECK(b.on([&] { return b.transport->is_connected(stallers[3]->identity->id()); }));
  // An honest request still goes through.
  TestNode a(t.io);
  auto r = a.wait_outcome(a.request(b.uri, "/none/1", "x"));
  CHECK(r.status == BUTTER_E_NOT_FOUND);  // no handler here: but it was heard and answered
}

TEST_CASE("at max_connections silent inbound peers are evicted for a newcomer and for the node's own dial",
          "[transport][bounds]") {
  IoThread t;
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.max_connections = 6;
        o.evict_idle = 100ms;
      },
      echo_handler());
  TestNode c(t.io, {}, echo_handler());
  std::vector<std::unique_ptr<RawSecureClient>> silent;
  for (int i = 0; i < 6; ++i) {
    silent.push_back(std::make_unique<RawSecureClient>(b.uri));
    REQUIRE(silent.back()->ch.established());
    silent.back()->hello();
    REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(silent.back()->identity->id()); }));
  }
  // A newcomer gets in once the silent ones have been quiet for evict_idle (retried until then).
  TestNode a(t.io);
  std::int32_t status = -1;
  REQUIRE(wait_until(
      [&] {
        status = a.wait_outcome(a.request(b.uri, "/echo/1", "let me in")).status;
        return status == BUTTER_OK;
      },
      10s));
  CHECK(b.stats().evicted_for_newcomer >= 1);
  // The node's own dial goes out too, at the expense of another silent one.
  const auto evicted = b.stats().evicted_for_newcomer;
  REQUIRE(wait_until(
      [&] {
        Error e;
        auto out = b.request(c.uri, "/echo/1", "mine", 10s, &e);
        return !e && b.wait_outcome(out).status == BUTTER_OK;
      },
      10s));
  CHECK(b.stats().evicted_for_newcomer == evicted + 1);
  CHECK(b.on([&] { return b.transport->usage().connections; }) <= 6);
}

TEST_CASE("when outgoing memory is full a peer that reads nothing is closed and other peers' answers go out",
          "[transport][bounds]") {
  IoThread t;
  const std::string big(64 * 1024, 'r');
  TestNode b(
      t.io,
      [](TransportOptions& o) {
        o.memory_limit = 2 * 1024 * 1024;  // 1 MiB for outgoing queues
        o.write_stall = 100ms;
        // Every request is answered (none shed), so the non-reader's queue stays full once the
        // kernel's socket buffers are.
        o.max_inflight_requests = 100000;
      },
      [&big](TestNode& n, const NodeId&, const std::string&, const std::string&, ReplyToken tok) {
        // As a plugin should: an answer refused for memory becomes a short AGAIN, which fits.
        if (n.transport->reply(tok, BUTTER_OK, bytes(big)).code == BUTTER_E_AGAIN)
          (void)n.transport->reply(tok, BUTTER_E_AGAIN, bytes("busy"));
      });
  RawSecureClient greedy(b.uri);
  REQUIRE(greedy.ch.established());
  greedy.hello();
  REQUIRE(b.wait([&](TestNode& n) { return n.transport->is_connected(greedy.identity->id()); }));
  // The non-reader keeps asking (as a block fetcher would), a batch at a time once the last one
  // was handled; an honest peer asks in between. Once the kernel's socket buffers are full the
  // non-reader's queue stops draining, and after write_stall an honest answer that needs room
  // closes it. Bounded in rounds and time.
  TestNode a(t.io);
  std::uint64_t id = 1;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (b.stats().stalled_closes == 0 && std::chrono::steady_clock::now() < deadline) {
    auto burst = sealed_requests(greedy, id, 50, "/big/1");
    id += 50;
    try {
      greedy.write(burst);
    } catch (const std::exception&) {
      break;  // closed
    }
    REQUIRE(b.wait([&](TestNode& n) { return n.transport->stats().frames_in >= id; }));
    (void)a.wait_outcome(a.request(b.uri, "/big/1", "x"));
  }
  CHECK(b.stats().memory_refusals > 0);
  CHECK(b.stats().stalled_closes == 1);
  CHECK(greedy.closed_by_server());
  auto r = a.wait_outcome(a.request(b.uri, "/big/1", "x"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload.size() == big.size());
  CHECK(usage(b).queued_out_bytes <= 1024 * 1024);
}
