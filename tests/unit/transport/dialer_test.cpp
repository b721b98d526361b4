// A plugin Dialer: HELLO and frames run over its stream exactly as over TCP. The test dialer
// carries "relay://127.0.0.1:PORT" over a plain TCP socket of its own.
#include "harness.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <map>

using namespace butter::test;
namespace asio = boost::asio;

namespace {

class TcpRelayDialer : public Dialer {
 public:
  explicit TcpRelayDialer(Strand strand) : strand_(std::move(strand)) {}

  Error dial(const std::string& uri, std::shared_ptr<StreamSink> sink, std::uint64_t& stream_id) override {
    ++dials;
    if (refuse) return Error::make(BUTTER_E_UNAVAILABLE, "relay refused");
    auto port = static_cast<std::uint16_t>(std::stoi(uri.substr(uri.rfind(':') + 1)));
    auto s = std::make_shared<Stream>(Stream{asio::ip::tcp::socket(strand_), sink, {}});
    boost::system::error_code ec;
    s->socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);  // blocking: fine in a test
    if (ec) return Error::make(BUTTER_E_UNAVAILABLE, ec.message());
    stream_id = next_++;
    streams_[stream_id] = s;
    read(s);
    return Error::ok();
  }
  Error write(std::uint64_t id, std::span<const std::uint8_t> b) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return Error::make(BUTTER_E_NOT_FOUND, "no stream");
    largest_write = std::max(largest_write, b.size());
    ++calls;
    // A full window or queue: nothing is taken, and the host must write the same bytes again.
    if (held || (again_every_other && calls % 2 == 1)) {
      ++agains;
      return Error::make(BUTTER_E_AGAIN, "full");
    }
    boost::system::error_code ec;
    asio::write(it->second->socket, asio::buffer(b.data(), b.size()), ec);
    return ec ? Error::make(BUTTER_E_UNAVAILABLE, ec.message()) : Error::ok();
  }
  void close(std::uint64_t id) override {
    ++closes;
    if (auto it = streams_.find(id); it != streams_.end()) {
      boost::system::error_code ec;
      it->second->socket.close(ec);
      streams_.erase(it);
    }
  }

  int dials = 0, closes = 0;
  bool refuse = false;
  bool again_every_other = false;  // answer every other write BUTTER_E_AGAIN
  bool held = false;               // answer every write BUTTER_E_AGAIN
  int calls = 0, agains = 0;       // write() calls, and those answered BUTTER_E_AGAIN
  std::size_t largest_write = 0;
  // The stream's sink, to say writable() as a plugin would (butter.streams.flow/1).
  std::shared_ptr<StreamSink> sink_of(std::uint64_t id) { return streams_.at(id)->sink; }
  std::uint64_t last_stream() const { return next_ - 1; }

 private:
  struct Stream {
    asio::ip::tcp::socket socket;
    std::shared_ptr<StreamSink> sink;
    std::array<std::uint8_t, 4096> buf;
  };
  void read(std::shared_ptr<Stream> s) {
    s->socket.async_read_some(asio::buffer(s->buf), [this, s](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        if (ec != asio::error::operation_aborted) s->sink->closed(ec.message());
        return;
      }
      s->sink->deliver(std::span<const std::uint8_t>(s->buf.data(), n));
      read(s);
    });
  }
  Strand strand_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams_;
};

}  // namespace

TEST_CASE("requests run over a registered dialer", "[dialer]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  auto dialer = std::make_shared<TcpRelayDialer>(a.strand);
  REQUIRE_FALSE(a.on([&] { return a.transport->register_dialer("relay", dialer); }));
  CHECK(a.on([&] { return a.transport->register_dialer("relay", dialer); }).code == BUTTER_E_INVALID);
  CHECK(a.on([&] { return a.transport->register_dialer("tcp", dialer); }).code == BUTTER_E_INVALID);

  auto relay_uri = "relay://127.0.0.1:" + b.uri.substr(b.uri.rfind(':') + 1);
  auto r = a.wait_outcome(a.request(relay_uri, "/echo/1", "via relay"));
  CHECK(r.status == BUTTER_OK);
  CHECK(r.payload == "echo:via relay");
  CHECK(r.from == b.id);
  CHECK(a.on([&] { return a.transport->peers().at(0).remote_address; }) == relay_uri);

  // Unregistering closes what runs over it: the dialer's code may be going away.
  a.on([&] { a.transport->unregister_dialer("relay"); });
  CHECK(a.on([&] { return dialer->closes; }) == 1);
  CHECK(a.wait([&](TestNode& n) { return !n.transport->is_connected(b.id); }));
}

TEST_CASE("unknown scheme and refused dial are errors", "[dialer]") {
  IoThread t;
  TestNode a(t.io);
  Error e;
  a.request("relay://x:1", "/p", "x", std::chrono::seconds(1), &e);
  CHECK(e.code == BUTTER_E_UNSUPPORTED);
  auto dialer = std::make_shared<TcpRelayDialer>(a.strand);
  dialer->refuse = true;
  REQUIRE_FALSE(a.on([&] { return a.transport->register_dialer("relay", dialer); }));
  a.request("relay://x:1", "/p", "x", std::chrono::seconds(1), &e);
  CHECK(e.code == BUTTER_E_UNAVAILABLE);
}

TEST_CASE("a dialer that answers BUTTER_E_AGAIN holds the write, which goes on with nothing lost", "[dialer]") {
  IoThread t;
  TestNode a(t.io), b(t.io, {}, echo_handler());
  auto dialer = std::make_shared<TcpRelayDialer>(a.strand);
  REQUIRE_FALSE(a.on([&] { return a.transport->register_dialer("relay", dialer); }));
  auto relay_uri = "relay://127.0.0.1:" + b.uri.substr(b.uri.rfind(':') + 1);
  REQUIRE(a.wait_outcome(a.request(relay_uri, "/echo/1", "up")).status == BUTTER_OK);

  SECTION("retried at the backoff when the dialer never says writable") {
    a.on([&] { dialer->again_every_other = true; });
    std::string big(1 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
    auto r = a.wait_outcome(a.request(relay_uri, "/echo/1", big, std::chrono::seconds(20)));
    CHECK(r.status == BUTTER_OK);
    CHECK(r.payload == "echo:" + big);
    // 1 MiB went in pieces of at most 64 KiB, half of the attempts refused.
    CHECK(a.on([&] { return dialer->agains; }) >= 16);
    CHECK(a.on([&] { return dialer->largest_write; }) <= 64u * 1024);
  }
  SECTION("retried at once when the dialer says writable") {
    a.on([&] { dialer->held = true; });
    auto pending = a.request(relay_uri, "/echo/1", "held back", std::chrono::seconds(20));
    // Eight refusals: the backoff has grown to tens of milliseconds, so a retry right after
    // writable() is writable()'s doing, not the timer's.
    REQUIRE(a.wait([&](TestNode&) { return dialer->agains >= 8; }));
    const int calls_before = a.on([&] {
      dialer->held = false;
      dialer->sink_of(dialer->last_stream())->writable();
      return dialer->calls;
    });
    // The retry was posted to the strand by writable(): it ran before this next turn.
    CHECK(a.on([&] { return dialer->calls; }) > calls_before);
    auto r = a.wait_outcome(pending);
    CHECK(r.status == BUTTER_OK);
    CHECK(r.payload == "echo:held back");
  }
  SECTION("writes queued behind a held one go out in order, each answered whole") {
    // Sixteen requests at once: the secure layer hands each sealed write on while the first is
    // held by the dialer's AGAIN (the pipe takes writes in flight), and they must leave in order.
    a.on([&] { dialer->again_every_other = true; });
    std::vector<std::shared_ptr<Outcome>> pending;
    std::vector<std::string> sent;
    for (int k = 0; k < 16; ++k) {
      std::string body(128 * 1024 + 7 * static_cast<std::size_t>(k), 'a');
      for (std::size_t i = 0; i < body.size(); ++i)
        body[i] = static_cast<char>('a' + (i + static_cast<std::size_t>(k)) % 26);
      sent.push_back(body);
      pending.push_back(a.request(relay_uri, "/echo/1", body, std::chrono::seconds(20)));
    }
    for (int k = 0; k < 16; ++k) {
      auto r = a.wait_outcome(pending[static_cast<std::size_t>(k)]);
      CHECK(r.status == BUTTER_OK);
      CHECK((r.payload == "echo:" + sent[static_cast<std::size_t>(k)]));
    }
    CHECK(a.on([&] { return dialer->agains; }) >= 16);
  }
  // Either way the connection stayed up: no redial.
  CHECK(a.on([&] { return dialer->dials; }) == 1);
}
