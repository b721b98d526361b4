// Punches: the hole punches (TCP simultaneous open) in progress, by peer, at most kMaxPunches —
// each one's connectors, one per SYN the node's punch budget allows, how they fail, and the
// caller's completion, called exactly once. Which endpoints to punch, and what a punched socket
// becomes (a connection), is the transport's: a connector that connects is handed back through
// `Adopt`, and the transport says when the punch's connection is up (finish()).
//
// Lifetime: the handlers it schedules capture `this` with a weak_ptr to `alive_` and return at
// once when the table is gone or stopped, so it may be destroyed while they are still queued.
#pragma once
#include "core/executor.hpp"
#include "transport/punch_budget.hpp"
#include "transport/punch_connector.hpp"
#include "transport/transport.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace butter::host {

class Punches {
 public:
  static constexpr std::size_t kMaxPunches = 8;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;  // null: steady_clock
  // A connector of the punch to `peer` connected over `pipe` to `uri`: the transport makes the
  // connection (claim() first).
  using Adopt = std::function<void(const NodeId& peer, std::shared_ptr<TcpPipe> pipe, const std::string& uri)>;
  // A punch target: where to send SYNs and the URI it came as.
  using Target = std::pair<boost::asio::ip::tcp::endpoint, std::string>;

  // Counts attempts, outcomes and SYNs refused by the budget in `stats`.
  Punches(Strand strand, PunchBudgetLimits budget, Clock clock, Transport::Stats& stats, std::string log, Adopt adopt);

  // A punch to `peer` is under way, or kMaxPunches are: no other may begin.
  bool busy(const NodeId& peer) const;
  // Calls `done` with `e` from a later turn (a punch that could not begin); also after stop().
  void fail_later(std::function<void(Error)> done, Error e);
  // Begins the punch to `peer` (counted as an attempt); `done` is called once when it ends.
  void begin(const NodeId& peer, std::function<void(Error)> done);
  // The punch to `peer` already has its connection (the peer's SYN reached the listener first).
  void found_connection(const NodeId& peer, std::uint64_t connection);
  // Sends the punch's SYNs from `local` within `window`: one connector per target, and the
  // spread's extra ones for the first target, as far as the punch budget allows.
  void start(const NodeId& peer, const boost::asio::ip::tcp::endpoint& local, const std::vector<Target>& targets,
             std::chrono::milliseconds window, Transport::PunchSpread spread);
  // The peer whose punch targets `remote` and has no connection yet (accepted SYN), if any.
  std::optional<NodeId> punch_for(const boost::asio::ip::tcp::endpoint& remote) const;
  // A socket of the punch to `peer` connected: its other connectors stop. False when no punch to
  // `peer` is in progress.
  bool claim(const NodeId& peer);
  // The punch's connection (0 when none yet, or no punch to `peer`).
  std::uint64_t connection_of(const NodeId& peer) const;
  // Ends the punch to `peer` (its connection is up, or it failed with `e`) and calls its `done`.
  void finish(const NodeId& peer, Error e);
  // finish() from a later turn, unless stopped by then.
  void finish_later(const NodeId& peer, Error e);
  // Stops every punch for good and returns the calls still owed (each punch cancelled with
  // `text`), for the caller to make once everything else is stopped.
  std::vector<std::function<void()>> stop(const std::string& text);

 private:
  struct Alive {};
  struct Punch {
    std::vector<std::shared_ptr<PunchConnector>> connectors;
    std::function<void(Error)> done;
    std::size_t left = 0;          // connectors still trying
    std::string last_error;        // of the last connector that gave up ("unreachable" only if all were)
    bool reachable_error = false;  // some connector gave up for another reason than "unreachable"
    std::uint64_t connection = 0;  // the punched connection, once a socket connected
  };
  // One SYN of a punch to `remote` from the budget (counted in Stats when refused).
  bool take_syn(const boost::asio::ip::tcp::endpoint& remote, bool spread);
  // A connector of the punch to `peer` gave up with `why`.
  void connector_failed(const NodeId& peer, const std::string& why);

  Strand strand_;
  PunchBudget budget_;
  Clock clock_;
  Transport::Stats& stats_;
  std::string log_;
  Adopt adopt_;
  std::unordered_map<NodeId, Punch, NodeIdHash> punches_;
  bool stopped_ = false;
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
};

}  // namespace butter::host
