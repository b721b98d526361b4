// SimCluster: many Engines in one process on virtual time, linked by in-memory links with a
// random delay, with churn injected by kill(). It drives the real Engine (no re-implementation):
// ticks and message deliveries are events in one queue ordered by virtual time. Used by the
// engine's unit tests and by the churn benchmark (bench/pcg_churn_bench.cpp).
//
// The known-host service is modelled as: every node knows every other node, and forgets a dead
// one `kh_detect_ms` after it died (the known-host cache's probe failures take that long).
#pragma once
#include "engine.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace butter::pcg {

class SimCluster {
 public:
  struct Options {
    std::size_t nodes = 10;
    Config cfg;
    std::uint64_t capacity = 1ull << 30;      // per node
    std::vector<std::uint64_t> capacities{};  // per node, overrides `capacity` where given
    std::uint64_t min_delay_ms = 5;
    std::uint64_t max_delay_ms = 20;
    std::uint64_t tick_ms = 50;
    std::uint64_t kh_detect_ms = 3000;
    std::uint64_t seed = 1;
  };

  explicit SimCluster(Options o) : opt_(o), rng_(o.seed) {
    nodes_.reserve(o.nodes);
    for (std::size_t i = 0; i < o.nodes; ++i) {
      auto n = std::make_unique<SimNode>();
      n->index = i;
      n->cluster = this;
      n->rng.seed(o.seed * 7919 + i);
      n->id = sha256("sim-node-" + std::to_string(o.seed) + "-" + std::to_string(i));
      index_[n->id] = i;
      const std::uint64_t cap = i < o.capacities.size() ? o.capacities[i] : o.capacity;
      n->engine = std::make_unique<Engine>(n->id, std::vector<std::string>{}, o.cfg, cap, *n);
      nodes_.push_back(std::move(n));
      // Ticks are staggered over the first period.
      schedule(Item{o.tick_ms * i / std::max<std::size_t>(1, o.nodes), seq_++, Item::Tick, i, {}, {}});
    }
  }

  std::size_t size() const { return nodes_.size(); }
  Engine& engine(std::size_t i) { return *nodes_[i]->engine; }
  const Hash& id(std::size_t i) const { return nodes_[i]->id; }
  std::size_t index_of(const Hash& id) const { return index_.at(id); }
  bool alive(std::size_t i) const { return nodes_[i]->alive; }
  std::uint64_t now() const { return now_; }
  std::mt19937_64& rng() { return rng_; }

  void set_disk_full(std::size_t i, bool full) { nodes_[i]->disk_full = full; }

  // The node stops at once: no more ticks, messages to it are lost (kill -9, no goodbye).
  void kill(std::size_t i) {
    nodes_[i]->alive = false;
    nodes_[i]->died_at = now_;
  }

  // The node is not scheduled until virtual time `until` (a machine squeezed for CPU): its ticks
  // and the messages sent to it wait, in their order, and all run at `until`.
  void pause(std::size_t i, std::uint64_t until) { nodes_[i]->paused_until = until; }

  // Runs every event up to virtual time `t` (inclusive).
  void run_until(std::uint64_t t) {
    while (!queue_.empty() && queue_.top().at <= t) {
      Item it = queue_.top();
      queue_.pop();
      now_ = it.at;
      SimNode& n = *nodes_[it.node];
      if (!n.alive) continue;
      if (it.at < n.paused_until) {
        it.at = n.paused_until;  // same seq: the waiting items keep their order
        schedule(std::move(it));
        continue;
      }
      Output out;
      if (it.kind == Item::Tick) {
        n.engine->tick(now_, out);
        schedule(Item{now_ + opt_.tick_ms, seq_++, Item::Tick, it.node, {}, {}});
      } else {
        ++delivered_;
        n.engine->on_message(it.from, it.bytes, now_, out);
      }
      absorb(it.node, out);
    }
    now_ = std::max(now_, t);
  }

  // Lets a caller act on node i as if from outside (put/get), then routes what it produced.
  void act(std::size_t i, const std::function<void(Engine&, Output&)>& fn) {
    Output out;
    fn(*nodes_[i]->engine, out);
    absorb(i, out);
  }

  // Events the engines reported (PutDone, GetDone, Stored, ...), with the node index; drained.
  std::vector<std::pair<std::size_t, Event>> take_events() { return std::exchange(events_, {}); }
  // Messages handed to links (sent), and those delivered to a live node.
  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }
  const std::map<MsgType, std::uint64_t>& sent_by_type() const { return sent_by_type_; }
  void reset_counts() {
    sent_ = delivered_ = 0;
    sent_by_type_.clear();
  }
  // Optional hook on every send (tests use it to corrupt or drop messages): return false to drop.
  std::function<bool(std::size_t from, Send&)> on_send;

 private:
  struct SimNode : Env {
    std::size_t index = 0;
    SimCluster* cluster = nullptr;
    Hash id{};
    bool alive = true;
    std::uint64_t died_at = 0;
    std::uint64_t paused_until = 0;
    std::mt19937_64 rng;
    std::unique_ptr<Engine> engine;
    std::vector<Candidate> candidates(std::size_t k) override { return cluster->sample(index, k); }
    std::uint64_t random() override { return rng(); }
    // A node whose disk is full: every copy it completes fails to store (tests).
    bool disk_full = false;
    butter_status store_durably(const Hash&, const std::vector<std::uint8_t>&,
                                const std::vector<std::vector<std::uint8_t>>&, const View&, std::string& why) override {
      if (!disk_full) return BUTTER_OK;
      why = "disk full: database or disk is full";
      return BUTTER_E_NOMEM;
    }
  };
  struct Item {
    std::uint64_t at;
    std::uint64_t seq;
    enum Kind { Tick, Deliver } kind;
    std::size_t node;
    Hash from;
    std::vector<std::uint8_t> bytes;
    bool operator>(const Item& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  std::vector<Candidate> sample(std::size_t self, std::size_t k) {
    std::vector<Candidate> out;
    const std::size_t n = nodes_.size();
    if (n <= 1) return out;
    for (std::size_t tries = 0; out.size() < k && tries < k * 8; ++tries) {
      const std::size_t j = static_cast<std::size_t>(nodes_[self]->rng() % n);
      if (j == self) continue;
      const SimNode& c = *nodes_[j];
      if (!c.alive && now_ >= c.died_at + opt_.kh_detect_ms) continue;  // the cache forgot it
      bool dup = false;
      for (const auto& o : out) dup = dup || o.id == c.id;
      if (!dup) out.push_back(Candidate{c.id, {}, static_cast<std::int32_t>(j % 8)});
    }
    return out;
  }

  void absorb(std::size_t from, Output& out) {
    for (auto& s : out.sends) {
      if (on_send && !on_send(from, s)) continue;
      ++sent_;
      ++sent_by_type_[s.type];
      auto it = index_.find(s.to);
      if (it == index_.end()) continue;
      const std::uint64_t d =
          opt_.min_delay_ms +
          (opt_.max_delay_ms > opt_.min_delay_ms ? rng_() % (opt_.max_delay_ms - opt_.min_delay_ms + 1) : 0);
      schedule(Item{now_ + d, seq_++, Item::Deliver, it->second, nodes_[from]->id, std::move(s.bytes)});
    }
    for (auto& e : out.events) events_.emplace_back(from, std::move(e));
  }

  void schedule(Item it) { queue_.push(std::move(it)); }

  Options opt_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<Hash, std::size_t> index_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t sent_ = 0, delivered_ = 0;
  std::map<MsgType, std::uint64_t> sent_by_type_;
  std::vector<std::pair<std::size_t, Event>> events_;
};

}  // namespace butter::pcg
