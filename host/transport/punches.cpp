// Punches: the punches in progress, their connectors and their budget (see the header).
#include "transport/punches.hpp"

#include "transport/endpoint.hpp"
#include "transport/run_guarded.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

namespace butter::host {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::chrono::milliseconds kPunchRetry{200};

// `n` distinct ports in 1024..65535, none equal to `skip` (n <= Transport::kMaxPunchGuesses).
std::vector<std::uint16_t> guess_ports(std::uint32_t n, std::uint16_t skip) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> port(1024, 65535);
  std::set<std::uint16_t> picked;
  while (picked.size() < n) {
    const auto p = static_cast<std::uint16_t>(port(rng));
    if (p != skip) picked.insert(p);
  }
  std::vector<std::uint16_t> out(picked.begin(), picked.end());
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}
}  // namespace

Punches::Punches(Strand strand, PunchBudgetLimits budget, Clock clock, Transport::Stats& stats, std::string log,
                 Adopt adopt)
    : strand_(std::move(strand)),
      budget_(budget),
      clock_(std::move(clock)),
      stats_(stats),
      log_(std::move(log)),
      adopt_(std::move(adopt)) {}

bool Punches::busy(const NodeId& peer) const { return punches_.count(peer) || punches_.size() >= kMaxPunches; }

void Punches::fail_later(std::function<void(Error)> done, Error e) {
  asio::post(strand_, [this, w = std::weak_ptr<Alive>(alive_), fn = std::move(done), e = std::move(e)] {
    if (!w.expired()) run_guarded(log_, "punch", [&] { fn(e); });
  });
}

void Punches::begin(const NodeId& peer, std::function<void(Error)> done) {
  ++stats_.punch_attempts;
  auto& job = punches_[peer];
  job.done = std::move(done);
  job.last_error = "timeout";
}

void Punches::found_connection(const NodeId& peer, std::uint64_t connection) {
  if (auto it = punches_.find(peer); it != punches_.end()) it->second.connection = connection;
}

void Punches::start(const NodeId& peer, const tcp::endpoint& local, const std::vector<Target>& targets,
                    std::chrono::milliseconds window, Transport::PunchSpread spread) {
  auto it = punches_.find(peer);
  if (it == punches_.end() || targets.empty()) return;
  // One connector per target from the listen port; the spread's extra ones for the first target
  // (the peer's observed public address: the caller puts it first).
  struct Attempt {
    tcp::endpoint local, remote;
    std::string uri;
    bool spread = false;  // budgeted as spread (PunchBudget::take_spread)
  };
  std::vector<Attempt> attempts;
  attempts.reserve(targets.size() + spread.local_sockets + spread.remote_guesses);
  for (const auto& [remote, uri] : targets) attempts.push_back({local, remote, uri});
  const auto& [first, first_uri] = targets.front();
  for (std::uint32_t i = 0; i < spread.local_sockets; ++i)
    attempts.push_back({tcp::endpoint(local.address(), 0), first, first_uri, true});
  for (auto port : guess_ports(spread.remote_guesses, first.port())) {
    tcp::endpoint guess(first.address(), port);
    attempts.push_back({local, guess, format_tcp_endpoint(guess.address().to_string(), port), true});
  }
  // The node's punch budget, in this order: the endpoints before the spread. A punch none of
  // whose SYNs fits fails as "budget" (later, as every outcome).
  const std::size_t wanted = attempts.size();
  attempts.erase(std::remove_if(attempts.begin(), attempts.end(),
                                [this](const Attempt& a) { return !take_syn(a.remote, a.spread); }),
                 attempts.end());
  if (attempts.size() < wanted)
    spdlog::debug("{} punch to {}: {} of {} SYN(s) over the punch budget, not sent", log_, peer.short_hex(),
                  wanted - attempts.size(), wanted);
  if (attempts.empty())
    return finish_later(peer,
                        Error::make(BUTTER_E_AGAIN, "budget: every SYN of this punch is over the node's punch budget"));
  auto& job = it->second;
  // One more than the connectors until all are started: a connector that fails at once (bind)
  // reports inside start(), and must not end the job while this loop still adds to it.
  job.left = attempts.size() + 1;
  spdlog::debug("{} punching to {} ({} endpoint(s), {} socket(s), {} ms)", log_, peer.short_hex(), targets.size(),
                attempts.size(), window.count());
  for (const auto& a : attempts) {
    job.connectors.push_back(PunchConnector::start(
        strand_, a.local, a.remote, window, kPunchRetry,
        [this, w = std::weak_ptr<Alive>(alive_), peer, uri = a.uri](std::shared_ptr<TcpPipe> pipe,
                                                                    const std::string& why) {
          if (w.expired() || stopped_) return;
          auto it = punches_.find(peer);
          if (it == punches_.end() || it->second.connection) return;
          if (pipe) return adopt_(peer, std::move(pipe), uri);
          connector_failed(peer, why);
        },
        [this, w = std::weak_ptr<Alive>(alive_), spread = a.spread](const tcp::endpoint& remote) {
          return !w.expired() && take_syn(remote, spread);
        }));
  }
  if (--job.left == 0) finish(peer, Error::make(BUTTER_E_TIMEOUT, job.last_error));
}

void Punches::connector_failed(const NodeId& peer, const std::string& why) {
  auto it = punches_.find(peer);
  if (it == punches_.end()) return;
  // An address no route leads to (a LAN address of a peer on another LAN) says nothing about the
  // punch: its reason is kept only when every attempt ended that way.
  auto& job = it->second;
  const bool unreachable = why.rfind("unreachable", 0) == 0;
  if (!unreachable) job.reachable_error = true;
  if (!unreachable || !job.reachable_error) job.last_error = why;
  if (--job.left == 0) finish(peer, Error::make(BUTTER_E_TIMEOUT, job.last_error));
}

bool Punches::take_syn(const tcp::endpoint& remote, bool spread) {
  const auto now = clock_ ? clock_() : std::chrono::steady_clock::now();
  const std::string ip = remote.address().to_string();
  if (spread ? budget_.take_spread(ip, now) : budget_.take(ip, now)) return true;
  ++stats_.punch_syns_refused;
  return false;
}

std::optional<NodeId> Punches::punch_for(const tcp::endpoint& remote) const {
  for (const auto& [peer, job] : punches_) {
    if (job.connection) continue;
    for (const auto& c : job.connectors)
      if (c->remote() == remote) return peer;
  }
  return std::nullopt;
}

bool Punches::claim(const NodeId& peer) {
  auto it = punches_.find(peer);
  if (it == punches_.end()) return false;
  for (auto& c : it->second.connectors) c->cancel();
  return true;
}

std::uint64_t Punches::connection_of(const NodeId& peer) const {
  auto it = punches_.find(peer);
  return it == punches_.end() ? 0 : it->second.connection;
}

void Punches::finish(const NodeId& peer, Error e) {
  auto it = punches_.find(peer);
  if (it == punches_.end()) return;
  auto job = std::move(it->second);
  punches_.erase(it);
  for (auto& c : job.connectors) c->cancel();
  if (e) {
    ++stats_.punch_failures;
    spdlog::debug("{} punch to {} failed: {}", log_, peer.short_hex(), e.message);
  } else {
    ++stats_.punch_successes;
  }
  if (job.done) run_guarded(log_, "punch", [&] { job.done(e); });
}

void Punches::finish_later(const NodeId& peer, Error e) {
  asio::post(strand_, [this, w = std::weak_ptr<Alive>(alive_), peer, e = std::move(e)] {
    if (!w.expired() && !stopped_) finish(peer, e);
  });
}

std::vector<std::function<void()>> Punches::stop(const std::string& text) {
  stopped_ = true;
  auto punches = std::move(punches_);
  punches_.clear();
  std::vector<std::function<void()>> owed;
  for (auto& entry : punches) {
    auto& job = entry.second;  // not a structured binding: clang 14 cannot capture one in a lambda
    for (auto& c : job.connectors) c->cancel();
    if (job.done)
      owed.push_back([log = log_, done = std::move(job.done), text] {
        run_guarded(log, "punch", [&] { done(Error::make(BUTTER_E_CANCELLED, "cancelled: " + text)); });
      });
  }
  return owed;
}

}  // namespace butter::host
