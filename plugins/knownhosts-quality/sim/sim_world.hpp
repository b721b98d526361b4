// The simulated world behind OverlaySim (overlay_sim.hpp): nodes, connections, the event queue,
// and the MembershipEnv each node's engine talks to. Internal to the simulator.
#pragma once
#include "overlay_sim.hpp"

#include <memory>
#include <queue>
#include <random>

namespace butter::knownhosts::sim {

struct Conn {
  std::uint32_t peer;
  bool is_protected = false;  // by this end
  std::uint64_t opened_ms = 0, active_ms = 0;
};

class World;

class NodeEnv final : public MembershipEnv {
 public:
  NodeEnv(World& w, std::uint32_t self) : w_(w), self_(self) {}
  std::uint64_t now_ms() override;
  std::uint64_t unix_ms() override;
  std::vector<PeerLink> peers() override;
  std::string remote_address(const std::string& id) override;
  bool is_connected(const std::string& id) override;
  ConnLimits conn_limits() override;
  std::vector<std::string> own_endpoints() override;
  Quality own_quality() override;
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override;
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord&) override { return true; }
  bool send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string& error) override;
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                     std::string& error) override;
  void protect(const std::string& id) override;
  void unprotect(const std::string& id) override;
  void schedule_exchange(std::uint64_t delay_ms) override;
  void count(Metric m, std::uint64_t n) override;
  void traffic(Traffic kind, std::size_t bytes) override;

 private:
  World& w_;
  std::uint32_t self_;
};

struct Node {
  std::string id;  // 64 hex digits: the index in the first 8
  std::string endpoint;
  bool alive = false;
  std::uint64_t born_ms = 0, dies_ms = 0;
  bool newcomer = false;  // joined in the measure window
  bool reached_low = false, reached_out = false;
  std::uint32_t exchange_gen = 0;
  TrafficTally pending;  // what the engine said it is about to send, until the send (or answer)
  std::vector<Conn> conns;
  std::unique_ptr<NodeEnv> env;
  std::unique_ptr<MembershipEngine> engine;
};

enum class Ev : std::uint8_t {
  Join,
  Leave,
  ExchangeTimer,
  Refresh,
  NeighbourTick,
  Sweep,
  Connect,
  Request,
  Response,
  Fail
};

struct Event {
  std::uint64_t t;
  std::uint64_t seq;
  Ev type;
  std::uint32_t a = 0, b = 0;  // node indices (sender, receiver) or the node
  std::uint32_t gen = 0;       // exchange timer generation
  std::uint32_t msg = 0;       // index into World::msgs_
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct Message {
  bool exchange = false;  // else a quality probe
  bool want_neighbour = false;
  bool ok = true;
  std::vector<std::uint8_t> bytes;
  std::string error;
  std::uint64_t sent_ms = 0;
  TrafficTally traffic;  // the request's, then the response's
};

class World {
 public:
  explicit World(const SimOptions& o);
  SimResult run();

  // For NodeEnv.
  std::uint64_t now() const { return now_; }
  static constexpr std::uint64_t kUnixBase = 1'800'000'000'000;
  Node& node(std::uint32_t i) { return *nodes_[i]; }
  static std::uint32_t index_of(const std::string& id_hex);
  bool send(std::uint32_t from, const std::string& to_id, bool exchange, bool want, const std::vector<std::uint8_t>& b,
            std::string& error);
  Conn* conn(std::uint32_t a, std::uint32_t b);
  void push(Event e);
  void counted(Metric m, std::uint64_t n);
  void tally(const TrafficTally& t) {
    if (measuring_) traffic_.add(t);
  }
  const SimOptions& options() const { return o_; }

 private:
  std::uint32_t make_node(std::uint64_t dies_ms);
  void start_node(std::uint32_t i, std::int64_t bootstrap);
  void leave(std::uint32_t i);
  void connect(std::uint32_t a, std::uint32_t b);
  void disconnect(std::uint32_t a, std::uint32_t b);
  void sweep();
  void deliver_request(const Event& e);
  void deliver_response(const Event& e);
  void fail(std::uint32_t requester, std::uint32_t target, std::uint32_t msg);
  std::uint32_t new_msg(Message m);
  void free_msg(std::uint32_t i);
  std::uint64_t latency();
  std::uint64_t session_ms(bool residual);
  std::int64_t random_live(std::uint32_t except);
  void note_progress(std::uint32_t i);
  SimResult report();

  SimOptions o_;
  std::mt19937_64 rng_;
  std::uint64_t now_ = 0, seq_ = 0, events_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> q_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::uint32_t> live_;      // indices of live nodes (unordered)
  std::vector<std::uint32_t> live_pos_;  // position in live_ per node
  std::vector<Message> msgs_;
  std::vector<std::uint32_t> free_msgs_;
  bool measuring_ = false;
  std::uint64_t measure_start_ = 0;
  std::uint64_t bytes_ = 0, pex_bytes_ = 0, news_ = 0;
  TrafficTally traffic_;
  std::size_t joins_ = 0, leaves_ = 0;
  std::vector<double> low_water_s_, out_full_s_;
};

}  // namespace butter::knownhosts::sim
