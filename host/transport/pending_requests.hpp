// PendingRequests: the requests this node sent and still awaits an answer to, by request id —
// the connection each went out on (its answer must come back on it), the peer it is for, and its
// deadline. Each completes exactly once: by its response, its deadline, its connection closing or
// the transport stopping; a cancelled one is forgotten without a call.
//
// Lifetime: deadline handlers capture `this` with a weak_ptr to `alive_` and return at once when
// the table is gone, stopped, or no longer holds their request, so the table may be destroyed
// while they are still queued in the io_context.
#pragma once
#include "core/executor.hpp"
#include "transport/transport.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace butter::host {

class PendingRequests {
 public:
  // `timed_out` counts the requests whose deadline passed (Transport::Stats::requests_timed_out).
  PendingRequests(Strand strand, std::string log, std::uint64_t& timed_out);

  // The id of the next request: it goes out in the frame before the request is add()ed.
  std::uint64_t next_id() { return next_id_++; }
  // Awaits the answer to request `id`, sent on `connection` to `peer` (zero until the connection's
  // HELLO names it). A zero `timeout` means no deadline.
  void add(std::uint64_t id, ResponseFn fn, std::uint64_t connection, const NodeId& peer,
           std::chrono::milliseconds timeout);
  // Forgets request `id` without calling back; false when it is not pending.
  bool cancel(std::uint64_t id);
  // A response to `id` arrived on `connection`: completes the request. False (a late response)
  // when no such request is pending on that connection.
  bool respond(std::uint64_t id, std::uint64_t connection, std::int32_t status, std::span<const std::uint8_t> payload);
  // Completes request `id` exactly once: removes it, stops its deadline, calls back with `text`
  // (when not empty) or `payload`. Nothing when it is not pending.
  void complete(std::uint64_t id, std::int32_t status, const std::string& text,
                std::span<const std::uint8_t> payload = {});
  // The HELLO on `connection` named its peer: the requests sent on it are for `peer`.
  void peer_known(std::uint64_t connection, const NodeId& peer);
  // `connection` closed: fails each request sent on it (BUTTER_E_UNAVAILABLE, `text`).
  void fail_connection(std::uint64_t connection, const std::string& text);
  // Some request sent on `connection` awaits its answer (the connection is in use).
  bool awaits(std::uint64_t connection) const;
  std::size_t size() const { return pending_.size(); }
  // Empties the table for good and returns the calls still owed (each request cancelled with
  // `text`), for the caller to make once everything else is stopped: they may call back into it.
  std::vector<std::function<void()>> stop(const std::string& text);

 private:
  struct Alive {};
  struct Pending {
    ResponseFn fn;
    std::uint64_t connection = 0;
    NodeId peer;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Strand strand_;
  std::string log_;
  std::uint64_t& timed_out_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Pending> pending_;
  bool stopped_ = false;
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
};

}  // namespace butter::host
