// Inbound plugin streams (Transport::accept_stream, served to plugins as butter.streams/1): a
// stream that arrives through a plugin — a relayed connection reaching a node nobody can dial —
// gets the responder side of the secure handshake, HELLO and frames, exactly like an accepted
// TCP connection. Here two transports are joined by an in-memory "mem://" stream: a dials it,
// b accepts it.
#include "harness.hpp"

#include <map>

using namespace butter::test;

namespace {

// One side of an in-memory stream pair. Each side's methods run on its own node's strand; bytes
// cross to the other side by posting to its strand.
class MemSide : public Dialer {
 public:
  MemSide(TestNode& self) : self_(self) {}
  MemSide* peer = nullptr;
  std::shared_ptr<StreamSink> sink;  // ours, for bytes from the other side
  std::uint64_t id = 0;
  int closes = 0;
  bool accept_on_dial = true;

  Error dial(const std::string&, std::shared_ptr<StreamSink> s, std::uint64_t& stream_id) override {
    sink = std::move(s);
    stream_id = id = 77;
    // The far side learns of the stream: its plugin would hand it to its host (accept_stream).
    MemSide* far = peer;
    boost::asio::post(far->self_.strand, [far] {
      std::shared_ptr<StreamSink> fs;
      Error e = far->self_.transport->accept_stream("mem", "mem://a", 5, fs);
      if (!e) {
        far->sink = fs;
        far->id = 5;
      }
      far->accept_error = e.code;
    });
    return Error::ok();
  }
  Error write(std::uint64_t stream_id, std::span<const std::uint8_t> b) override {
    if (stream_id != id) return Error::make(BUTTER_E_NOT_FOUND, "no such stream");
    std::vector<std::uint8_t> copy(b.begin(), b.end());
    MemSide* far = peer;
    boost::asio::post(far->self_.strand, [far, copy] {
      if (far->sink) far->sink->deliver(copy);
    });
    return Error::ok();
  }
  void close(std::uint64_t) override {
    ++closes;
    sink.reset();
    MemSide* far = peer;
    boost::asio::post(far->self_.strand, [far] {
      if (far->sink) far->sink->closed("the other side closed");
    });
  }
  std::int32_t accept_error = -1;

 private:
  TestNode& self_;
};

}  // namespace

TEST_CASE("an accepted inbound stream runs the responder handshake and frames", "[inbound]") {
  IoThread t;
  TestNode a(t.io, {}, echo_handler());
  TestNode b(t.io, {}, echo_handler());  // b listens (the harness wants it) but nobody dials it
  auto sa = std::make_shared<MemSide>(a), sb = std::make_shared<MemSide>(b);
  sa->peer = sb.get();
  sb->peer = sa.get();
  REQUIRE_FALSE(a.on([&] { return a.transport->register_dialer("mem", sa); }));
  REQUIRE_FALSE(b.on([&] { return b.transport->register_dialer("mem", sb); }));

  auto out = a.wait_outcome(a.request("mem://b", "/p/1", "over a plugin stream"));
  CHECK(out.status == BUTTER_OK);
  CHECK(out.payload == "echo:over a plugin stream");
  CHECK(out.from == b.id);  // b proved its key over the stream
  CHECK(b.on([&] { return sb->accept_error; }) == BUTTER_OK);

  // b sees an inbound connection from a, named by the remote the plugin gave.
  auto peers = b.on([&] { return b.transport->peers(); });
  REQUIRE(peers.size() == 1);
  CHECK(peers[0].id == a.id);
  CHECK_FALSE(peers[0].outbound);
  CHECK(peers[0].remote_address == "mem://a");
  // And b can send to a by id over the same stream.
  auto back = b.wait_outcome(b.request(a.id.hex(), "/p/1", "the other way"));
  CHECK(back.payload == "echo:the other way");
  CHECK(b.stats().auth_failures == 0);

  // Closing on a's side reaches b: the connection goes down there too.
  a.on([&] { a.transport->disconnect(b.id, "test done"); });
  CHECK(b.wait([&](TestNode& n) { return !n.transport->is_connected(a.id); }));
  CHECK(b.wait([&](TestNode&) { return sb->closes == 1; }));
}

TEST_CASE("accept_stream refuses a scheme without a dialer", "[inbound]") {
  IoThread t;
  TestNode b(t.io);
  std::shared_ptr<StreamSink> sink;
  auto e = b.on([&] { return b.transport->accept_stream("nosuch", "x://y", 1, sink); });
  CHECK(e.code == BUTTER_E_INVALID);
  CHECK_FALSE(sink);
  auto bad = b.on([&] { return b.transport->accept_stream("", "x://y", 1, sink); });
  CHECK(bad.code == BUTTER_E_INVALID);
}

TEST_CASE("a stream the plugin ends before the host attaches it closes cleanly", "[inbound]") {
  IoThread t;
  TestNode b(t.io);
  auto sb = std::make_shared<MemSide>(b);
  sb->peer = sb.get();
  REQUIRE_FALSE(b.on([&] { return b.transport->register_dialer("mem", sb); }));
  auto opened = b.stats().connections_opened;
  b.on([&] {
    std::shared_ptr<StreamSink> sink;
    REQUIRE_FALSE(b.transport->accept_stream("mem", "mem://gone", 9, sink));
    sink->closed("gone at once");  // same turn: before the host attached the connection
  });
  CHECK(b.stats().connections_opened == opened + 1);
  CHECK(b.wait([&](TestNode& n) { return n.transport->stats().connections_closed == 1; }));
}

TEST_CASE(
    "an inbound stream beyond max_connections is refused with AGAIN and counted and the open "
    "connection is still served",
    "[inbound][limits]") {
  IoThread t;
  TestNode b(
      t.io, [](TransportOptions& o) { o.max_connections = 1; }, echo_handler());
  TestNode c(t.io, {}, echo_handler());
  connect(c, b);  // b's one connection
  auto sb = std::make_shared<MemSide>(b);
  REQUIRE_FALSE(b.on([&] { return b.transport->register_dialer("mem", sb); }));
  // A relayed stream arrives (as the NAT plugin hands one over): beyond the cap, refused at once,
  // before any handshake; the plugin gets AGAIN and closes its side.
  std::shared_ptr<StreamSink> sink;
  auto e = b.on([&] { return b.transport->accept_stream("mem", "mem://someone", 9, sink); });
  CHECK(e.code == BUTTER_E_AGAIN);
  CHECK_THAT(e.message, Catch::Contains("max_connections (1)"));
  CHECK_FALSE(sink);
  CHECK(b.stats().refused_max_connections == 1);
  CHECK(b.stats().connections_refused == 1);
  auto r = c.wait_outcome(c.request(b.id.hex(), "/p/1", "still served"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:still served");
}
