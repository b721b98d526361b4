// SimNetwork: a discrete-event simulation of many dbfs Engines in one process, with virtual time
// and a delay per link. The unit tests (small hand-built graphs) and bench/dbfs_search_bench.cpp
// (100 and 1000 nodes) drive the plugin's own Engine class through it: the simulated node does
// exactly what the plugin does, only the transport and the clock are replaced.
#pragma once
#include "engine.hpp"
#include "proof.hpp"

#include <butter/wire.hpp>

#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <string_view>
#include <string>
#include <vector>

namespace butter::dbfs::sim {

struct SearchRecord {
  std::size_t source = 0;
  std::uint64_t started_ms = 0;
  std::vector<HitEvent> hits;
  bool done = false;
  DoneEvent result;
  std::uint64_t done_ms = 0;
  std::uint64_t first_hit_ms() const { return hits.empty() ? 0 : hits.front().at_ms - started_ms; }
};

class SimNetwork {
 public:
  using DelayFn = std::function<std::uint64_t(std::size_t from, std::size_t to)>;
  // Receives what simulated nodes send to ids outside the simulation (an attacker's, in tests).
  using OutsideFn = std::function<void(const std::string& to, const std::string& from, MsgType type,
                                       const std::vector<std::uint8_t>& bytes)>;

  SimNetwork(std::size_t n, const EngineConfig& cfg, std::uint64_t seed = 1) {
    engines_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) engines_.emplace_back(name(i), cfg, seed * 1000003u + i);
    adj_.resize(n);
    tick_at_.assign(n, kNever);
  }

  static std::string name(std::size_t i) { return "n" + std::to_string(i); }
  // The index of a name(i); size() or more when it is not one.
  static std::size_t index_of(std::string_view id) {
    if (id.size() < 2 || id[0] != 'n') return std::numeric_limits<std::size_t>::max();
    std::size_t v = 0;
    for (char c : id.substr(1)) {
      if (c < '0' || c > '9') return std::numeric_limits<std::size_t>::max();
      v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    return v;
  }
  std::size_t size() const { return engines_.size(); }

  // Stores a content object (as butter.storage/1 would: its id is the hash of its manifest) on node
  // i, with `keywords`; the same name and keywords give the same id on every node. The simulated
  // storage answers the node's proofs (ProveWanted) from it.
  std::string store(std::size_t i, const std::string& name, const std::vector<std::string>& keywords = {}) {
    const std::string text = "sim object " + name + std::string(1500, '.');  // two 1 KiB blocks
    std::vector<std::uint8_t> data(text.begin(), text.end());
    auto manifest = build_manifest(data, kMinBlockSize, keywords);
    const std::string id = butter::wire::to_hex(sha256(manifest));
    content_[id] = Content{std::move(data), std::move(manifest)};
    engines_[i].index().add_stored(id, keywords);
    return id;
  }
  Engine& node(std::size_t i) { return engines_[i]; }
  std::uint64_t now() const { return now_; }
  void set_delay(DelayFn fn) { delay_ = std::move(fn); }
  void set_outside(OutsideFn fn) { outside_ = std::move(fn); }

  // Every node linked to the next: the line 0 - 1 - ... - n-1 (a query from 0 reaches n-1 in
  // n-1 hops).
  void link_line() {
    for (std::size_t i = 0; i + 1 < engines_.size(); ++i) link(i, i + 1);
  }
  // An undirected overlay link (both ends forward over it).
  void link(std::size_t a, std::size_t b) {
    if (a == b) return;
    for (auto x : adj_[a])
      if (x == b) return;
    adj_[a].push_back(b);
    adj_[b].push_back(a);
    apply(a);
    apply(b);
  }
  const std::vector<std::size_t>& adjacency(std::size_t i) const { return adj_[i]; }

  // Starts a search at `src`; returns its index in records(), or -1 with `why` when refused.
  long search(std::size_t src, const SearchSpec& spec, std::string* why = nullptr) {
    Actions out;
    std::string w;
    const std::uint64_t h = engines_[src].start(now_, spec, out, w);
    if (!h) {
      if (why) *why = w;
      return -1;
    }
    records_.push_back(SearchRecord{src, now_, {}, false, {}, 0});
    by_handle_[{src, h}] = records_.size() - 1;
    apply_actions(src, out);
    return static_cast<long>(records_.size() - 1);
  }

  // Delivers raw bytes to `to` as if `from` sent them (for malformed-input tests).
  void inject(std::size_t from, std::size_t to, std::vector<std::uint8_t> bytes) {
    push(Event{now_, seq_++, to, from, false, std::move(bytes), {}});
  }
  // Delivers raw bytes to `to` from a node outside the simulation (`id`, e.g. an attacker's)
  // connected from `address` ("tcp://ip:port"), at virtual time `at_ms` (>= now).
  void inject_from(const std::string& id, const std::string& address, std::size_t to, std::vector<std::uint8_t> bytes,
                   std::uint64_t at_ms) {
    outside_address_[id] = address;
    push(Event{std::max(at_ms, now_), seq_++, to, kOutside, false, std::move(bytes), id});
  }
  // The remote address node i's messages arrive from ("" by default: unknown).
  void set_address(std::size_t i, std::string address) {
    if (addresses_.size() < engines_.size()) addresses_.resize(engines_.size());
    addresses_[i] = std::move(address);
  }

  // Runs events until none is left or virtual time passes `until_ms`; returns events processed.
  std::uint64_t run(std::uint64_t until_ms = std::numeric_limits<std::uint64_t>::max()) {
    std::uint64_t n = 0;
    while (!queue_.empty() && queue_.top().at <= until_ms) {
      Event ev = queue_.top();
      queue_.pop();
      now_ = std::max(now_, ev.at);
      Actions out;
      if (ev.tick) {
        if (tick_at_[ev.to] != ev.at) continue;  // superseded
        tick_at_[ev.to] = kNever;
        engines_[ev.to].tick(now_, out);
      } else {
        const bool outside = ev.from == kOutside;
        const std::string from = outside ? ev.from_id : name(ev.from);
        const std::string address = outside                       ? outside_address_[from]
                                    : ev.from < addresses_.size() ? addresses_[ev.from]
                                                                  : "";
        engines_[ev.to].on_message(now_, from, address, ev.bytes.data(), ev.bytes.size(), out);
      }
      apply_actions(ev.to, out);
      ++n;
    }
    if (until_ms != std::numeric_limits<std::uint64_t>::max()) now_ = std::max(now_, until_ms);
    return n;
  }

  const std::vector<SearchRecord>& records() const { return records_; }
  // Messages sent by the simulated nodes (to each other and to outside ids), by type.
  std::uint64_t sent(MsgType t) const { return sent_[static_cast<std::size_t>(t)]; }
  std::uint64_t sent_total() const { return sent(MsgType::Query) + sent(MsgType::Extend) + sent(MsgType::Hits); }
  // PROVE and PROOF messages (the cost of search integrity).
  std::uint64_t sent_proofs() const { return sent(MsgType::Prove) + sent(MsgType::Proof); }
  // Messages received per node (query + extend + hits).
  std::uint64_t received_by(std::size_t i) const { return i < received_.size() ? received_[i] : 0; }

 private:
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
  static constexpr std::size_t kOutside = std::numeric_limits<std::size_t>::max();
  struct Event {
    std::uint64_t at, seq;
    std::size_t to, from;
    bool tick;
    std::vector<std::uint8_t> bytes;
    std::string from_id;  // the sender's id when from == kOutside
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void push(Event e) { queue_.push(std::move(e)); }
  void apply(std::size_t i) {
    std::vector<std::string> ns;
    for (auto j : adj_[i]) ns.push_back(name(j));
    engines_[i].neighbours().set_outbound(std::move(ns));
  }
  void apply_actions(std::size_t at, Actions& out) {
    Actions more;
    for (const auto& w : out.proofs_wanted) {
      auto c = content_.find(w.object_id);
      Proof p;
      if (c == content_.end()) {
        p.status = ProofStatus::Unprovable;
      } else {
        p.status = ProofStatus::Ok;
        p.manifest = c->second.manifest;
        p.block = challenged_bytes(c->second.data, kMinBlockSize, w.nonce);
      }
      engines_[at].send_proof(w, std::move(p), more);
    }
    for (auto& s : out.sends) {
      ++sent_[static_cast<std::size_t>(s.type)];
      const std::size_t to = index_of(s.to);
      if (to >= engines_.size() && s.type == MsgType::Prove && !outside_address_.count(s.to)) {
        engines_[at].prove_failed(now_, s.nonce, more);  // nobody by that id: cannot be asked
        continue;
      }
      if (to >= engines_.size()) {
        if (outside_) outside_(s.to, name(at), s.type, s.bytes);
        continue;  // to an outside node: counted, handed to the outside handler if any
      }
      if (received_.size() < engines_.size()) received_.assign(engines_.size(), 0);
      ++received_[to];
      const std::uint64_t d = delay_ ? delay_(at, to) : 1;
      push(Event{now_ + d, seq_++, to, at, false, std::move(s.bytes), {}});
    }
    for (auto& h : out.hits) {
      auto it = by_handle_.find({at, h.search});
      if (it != by_handle_.end()) records_[it->second].hits.push_back(std::move(h));
    }
    for (auto& d : out.done) {
      auto it = by_handle_.find({at, d.search});
      if (it != by_handle_.end()) {
        auto& r = records_[it->second];
        r.done = true;
        r.result = d;
        r.done_ms = now_;
      }
    }
    if (!more.sends.empty() || !more.hits.empty() || !more.done.empty()) {
      apply_actions(at, more);
      return;
    }
    const std::uint64_t next = engines_[at].next_deadline();
    if (next != kNever && next < tick_at_[at]) {
      tick_at_[at] = std::max(next, now_);
      push(Event{tick_at_[at], seq_++, at, at, true, {}, {}});
    }
  }

  std::vector<Engine> engines_;
  std::vector<std::vector<std::size_t>> adj_;
  std::vector<std::uint64_t> tick_at_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::uint64_t now_ = 0, seq_ = 0;
  DelayFn delay_;
  std::vector<SearchRecord> records_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::size_t> by_handle_;
  // Messages sent per type, indexed by the type's value (1..kLastType).
  static constexpr std::size_t kLastType = static_cast<std::size_t>(MsgType::Unlink);
  std::uint64_t sent_[kLastType + 1] = {};
  struct Content {
    std::vector<std::uint8_t> data;
    std::vector<std::uint8_t> manifest;
  };
  std::map<std::string, Content> content_;
  OutsideFn outside_;
  std::vector<std::uint64_t> received_;
  std::vector<std::string> addresses_;
  std::map<std::string, std::string> outside_address_;
};

}  // namespace butter::dbfs::sim
