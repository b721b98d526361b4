// PendingRequests: the request table and its deadlines (see the header).
#include "transport/pending_requests.hpp"

#include "transport/run_guarded.hpp"

#include <utility>

namespace butter::host {

namespace {
std::span<const std::uint8_t> pending_text_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

PendingRequests::PendingRequests(Strand strand, std::string log, std::uint64_t& timed_out)
    : strand_(std::move(strand)), log_(std::move(log)), timed_out_(timed_out) {}

void PendingRequests::add(std::uint64_t id, ResponseFn fn, std::uint64_t connection, const NodeId& peer,
                          std::chrono::milliseconds timeout) {
  Pending p;
  p.fn = std::move(fn);
  p.connection = connection;
  p.peer = peer;
  if (timeout.count() > 0) {
    p.timer = std::make_unique<boost::asio::steady_timer>(strand_, timeout);
    p.timer->async_wait([this, w = std::weak_ptr<Alive>(alive_), id, timeout](boost::system::error_code ec) {
      if (ec || w.expired() || stopped_ || !pending_.count(id)) return;
      ++timed_out_;
      complete(id, BUTTER_E_TIMEOUT, "no response within " + std::to_string(timeout.count()) + " ms");
    });
  }
  pending_.emplace(id, std::move(p));
}

bool PendingRequests::cancel(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  if (it->second.timer) it->second.timer->cancel();
  pending_.erase(it);
  return true;
}

bool PendingRequests::respond(std::uint64_t id, std::uint64_t connection, std::int32_t status,
                              std::span<const std::uint8_t> payload) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.connection != connection) return false;
  complete(id, status, {}, payload);
  return true;
}

void PendingRequests::complete(std::uint64_t id, std::int32_t status, const std::string& text,
                               std::span<const std::uint8_t> payload) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto p = std::move(it->second);
  pending_.erase(it);
  if (p.timer) p.timer->cancel();
  auto bytes = text.empty() ? payload : pending_text_bytes(text);
  run_guarded(log_, "response", [&] { p.fn(status, p.peer, bytes); });
}

void PendingRequests::peer_known(std::uint64_t connection, const NodeId& peer) {
  for (auto& [id, p] : pending_)
    if (p.connection == connection) p.peer = peer;
}

void PendingRequests::fail_connection(std::uint64_t connection, const std::string& text) {
  // Ids first: each callback may add, cancel or complete requests.
  std::vector<std::uint64_t> failed;
  for (const auto& [id, p] : pending_)
    if (p.connection == connection) failed.push_back(id);
  for (auto id : failed) complete(id, BUTTER_E_UNAVAILABLE, text);
}

bool PendingRequests::awaits(std::uint64_t connection) const {
  for (const auto& [id, p] : pending_)
    if (p.connection == connection) return true;
  return false;
}

std::vector<std::function<void()>> PendingRequests::stop(const std::string& text) {
  stopped_ = true;
  auto pending = std::move(pending_);
  pending_.clear();
  std::vector<std::function<void()>> owed;
  owed.reserve(pending.size());
  for (auto& entry : pending) {
    auto& p = entry.second;  // not a structured binding: clang 14 cannot capture one in a lambda
    if (p.timer) p.timer->cancel();
    owed.push_back([log = log_, fn = std::move(p.fn), peer = p.peer, text] {
      run_guarded(log, "response", [&] { fn(BUTTER_E_CANCELLED, peer, pending_text_bytes(text)); });
    });
  }
  return owed;
}

}  // namespace butter::host
