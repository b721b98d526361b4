// GET /nat/throughput: echo throughput to a peer over whatever connection the host uses for it
// (relayed or direct), for the NAT lab's bytes/s comparison. Pings of `size` bytes (the peer
// echoes them: /butter/nat/1 Ping), `count` in all, at most `inflight` outstanding; the answer
// gives the payload bytes carried both ways and the time, and the connection's remote address
// when the run started and when it ended (a run during which the path changed says so).
// Bounded: size <= 256 KiB, count <= 4096, inflight <= 16, one run at a time per node.
#include "json_answer.hpp"
#include "nat_plugin.hpp"

#include <chrono>
#include <memory>

namespace butter::nat {

namespace {
constexpr std::size_t kMaxSize = 256 * 1024, kMaxCount = 4096, kMaxInflight = 16;

std::size_t param(const butter::HttpRequest& req, const char* name, std::size_t dflt, std::size_t max, bool& bad) {
  auto v = req.query_param(name);
  if (!v) return dflt;
  std::size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9' || n > max) {
      bad = true;
      return 0;
    }
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (v->empty() || n == 0 || n > max) bad = true;
  return n;
}
}  // namespace

struct NatAmbassador::BulkRun {
  std::string peer;
  std::vector<std::uint8_t> payload;
  std::size_t count = 0, sent = 0, done = 0, failed = 0;
  std::uint64_t bytes = 0;
  std::string via_start, via_end, error;
  std::chrono::steady_clock::time_point t0;
  butter::HttpResponse res;
};

std::string NatAmbassador::via_of(const std::string& peer) {
  for (const auto& p : peers())
    if (p.node_id == peer) return p.remote_address;
  return {};
}

void NatAmbassador::throughput_route(const butter::HttpRequest& req, butter::HttpResponse res) {
  auto peer = req.query_param("peer");
  bool bad = false;
  const std::size_t size = param(req, "size", 65536, kMaxSize, bad);
  const std::size_t count = param(req, "count", 64, kMaxCount, bad);
  const std::size_t inflight = param(req, "inflight", 4, kMaxInflight, bad);
  if (!peer || peer->empty() || bad) {
    res.status(400).text("usage: /nat/throughput?peer=<id or URI>[&size=1..262144][&count=1..4096][&inflight=1..16]");
    return;
  }
  if (bulk_) {
    res.status(409).text("a throughput run is under way");
    return;
  }
  auto run = std::make_shared<BulkRun>();
  run->peer = *peer;
  run->payload = encode_ping(std::string(size, 'x'));
  run->count = count;
  run->res = std::move(res);
  run->t0 = std::chrono::steady_clock::now();
  bulk_ = run;
  for (std::size_t i = 0; i < inflight && i < count; ++i) bulk_next(run);
}

void NatAmbassador::bulk_next(const std::shared_ptr<BulkRun>& run) {
  if (run->sent >= run->count || !run->error.empty()) return;
  ++run->sent;
  auto st =
      request(run->peer, kNatProtocol, run->payload, request_timeout_ * 5, [this, run](const butter::Response& r) {
        ++run->done;
        if (r.ok()) {
          if (run->via_start.empty()) run->via_start = via_of(std::string(r.from()));
          run->via_end = via_of(std::string(r.from()));
          run->bytes += 2 * (run->payload.size() - 1);  // the body both ways (the pong's "pong:" left out)
        } else if (run->error.empty()) {
          run->error = std::string(r.error());
        }
        if (run->done == run->sent && (run->sent == run->count || !run->error.empty())) return bulk_finish(run);
        bulk_next(run);
      });
  if (!st) {
    --run->sent;
    if (run->error.empty()) run->error = st.message();
    if (run->done == run->sent) bulk_finish(run);
  }
}

void NatAmbassador::bulk_finish(const std::shared_ptr<BulkRun>& run) {
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - run->t0).count();
  const double bps = ms > 0 ? static_cast<double>(run->bytes) * 1000.0 / ms : 0;
  Json j = Json::object();
  j["ok"] = run->error.empty();
  j["error"] = run->error;
  j["bytes"] = run->bytes;
  j["ms"] = ms;
  j["bytes_per_s"] = bps;
  j["via_start"] = run->via_start;
  j["via_end"] = run->via_end;
  run->res.json(dump_json(j));
  if (bulk_ == run) bulk_.reset();
}

}  // namespace butter::nat
