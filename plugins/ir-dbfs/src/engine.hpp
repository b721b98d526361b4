// Engine: directed breadth-first search for one node, free of I/O. It takes the clock and the
// messages as input and returns actions (messages to send, hits and DONEs to report), so that the
// plugin, the unit tests and the simulation in bench/ drive the very same code.
//
// Source: sends the query to a subset of its neighbours picked by a heuristic learnt from past
// queries (NeighbourStats; random on a cold node), with a small TTL first; when too few results
// came back, it asks the query's tree to go deeper (EXTEND: only the frontier nodes, which kept
// the query frozen, forward it further), up to the query's TTL. When that found nothing, it
// widens once: the neighbours it did not choose get the query with the full TTL (so a bad guess
// costs messages, not recall). It stops at max_results hits.
// Every node: drops queries it has seen (SeenCache) and those over the limits or the query rate of
// their sender's node id, address or prefix (SourceLimiter), answers from its LocalIndex, forwards
// to all its neighbours (BFS) within the TTL and the query's message budget (budget.hpp), and sends
// hits back along the reverse path (the neighbour it got the query from), a bounded number per query.
//
// Search integrity (README "Search integrity"): the source delivers a hit only once the node it
// names as holder proved it (PROVE/PROOF: the object's manifest, whose hash is the object id, and a
// block the source's nonce picks; proof.hpp). At most `verify_in_flight` proofs per search are
// asked at once, each with a deadline; the rest wait in a bounded queue. Only verified hits count
// for the neighbour statistics; failed proofs count against the holder and the neighbour that
// brought the hit (PeerStanding): demoted, then unlinked and refused for a while.
#pragma once
#include "limits.hpp"
#include "local_index.hpp"
#include "messages.hpp"
#include "neighbour_stats.hpp"
#include "neighbours.hpp"
#include "seen_cache.hpp"
#include "source_limiter.hpp"
#include "standing.hpp"

#include <deque>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace butter::dbfs {

// How the source picks its first hop, and how other nodes forward.
enum class Method {
  Directed,   // source: best `source_fanout` neighbours by heuristic; others: all; deepening
  Flood,      // source and others: all neighbours (plain BFS); no deepening
  RandomHalf  // source and others: a random half of the neighbours (random BFS); no deepening
};
const char* method_name(Method m);

// Hit entries a relay passes on per child and query at least, whatever the query asked for.
inline constexpr std::uint32_t kMinRelayEntries = 16;
bool parse_method(std::string_view s, Method& out);

struct EngineConfig {
  Limits limits;
  Method method = Method::Directed;
  Heuristic heuristic = Heuristic::Results;
  std::uint32_t source_fanout = 2;  // Directed: neighbours the source sends a query to
  bool deepening = true;            // Directed: start small, EXTEND while too few results
  std::uint32_t ttl_start = 3;      // first TTL of an iterative-deepening search
  std::uint32_t ttl_step = 1;       // TTL added by each EXTEND
  bool adaptive_start = true;       // start at the hops where past searches found their first hit
  std::uint32_t default_ttl = 7;
  std::uint32_t default_max_results = 16;
  std::uint64_t default_timeout_ms = 10000;
  double hop_ms = 50;  // first estimate of one hop's latency (then learnt)
  double min_hop_ms = 2;
  double step_margin = 1.5;            // a step waits step_margin x 2 x TTL x hop estimate,
  std::uint64_t min_step_ms = 100;     // and at least this (a loaded host answers late)
  std::size_t answers_per_query = 32;  // hits a node sends for one query at most
  std::size_t seen_max = 8192;
  std::uint64_t seen_age_ms = 120000;
  std::size_t max_inbound = 8;
  std::uint64_t inbound_idle_ms = 600000;
  std::uint64_t refused_ms = 60000;  // a peer that answered our LINK with UNLINK is not chosen for this long
  double stats_decay = 0.95;
  std::uint64_t stats_min_samples = 3;
  std::size_t max_inbound_per_address = 2;  // inbound links one (non-loopback) address may hold
  // Search integrity.
  bool verify = true;                      // deliver only hits whose holder proved them
  std::uint32_t verify_in_flight = 4;      // proofs asked at once for one search
  std::uint32_t verify_queue = 32;         // hits of one search waiting for a proof slot
  std::uint64_t verify_timeout_ms = 2000;  // a holder must answer a PROVE within this
  std::size_t max_verifications = 256;     // proofs awaited at once, all searches together
  std::size_t max_proofs_preparing = 16;   // holder: PROVEs being answered at once (else Busy)
  StandingConfig standing;
};

struct SearchSpec {
  QueryKind kind = QueryKind::Object;
  std::vector<std::string> terms;
  std::uint32_t max_results = 0;  // 0: default
  std::uint32_t ttl = 0;          // 0: default; clamped to limits.max_ttl
  std::uint64_t timeout_ms = 0;   // 0: default
};

struct Outbound {
  Outbound() = default;
  Outbound(std::string t, MsgType ty, std::vector<std::uint8_t> b) : to(std::move(t)), type(ty), bytes(std::move(b)) {}
  std::string to;
  MsgType type = MsgType::Query;
  std::vector<std::uint8_t> bytes;
  // PROVE only: the endpoints the hit gave for its holder, tried when `to` (a node id) has no
  // connection or known address; and the nonce, to report an unreachable holder (prove_failed).
  std::vector<std::string> fallback;
  QueryId nonce;
};

// A PROVE this node must answer: the glue reads the object from storage and makes the proof
// (proof.hpp), then calls Engine::send_proof.
struct ProveWanted {
  std::string from;
  QueryId nonce;
  std::string object_id;
};

struct HitEvent {
  std::uint64_t search = 0;
  Hit hit;
  std::uint8_t hops = 0;
  std::uint64_t at_ms = 0;
};

struct DoneEvent {
  std::uint64_t search = 0;
  std::uint32_t hits = 0;
  std::uint32_t messages = 0;  // QUERY and EXTEND messages this node sent for the search
  std::string reason;          // "enough results", "complete", "timeout", "no neighbours"
};

struct Actions {
  std::vector<Outbound> sends;
  std::vector<HitEvent> hits;
  std::vector<DoneEvent> done;
  std::vector<ProveWanted> proofs_wanted;
  std::vector<std::string> blocked;   // peers this node just blocked (the glue stops choosing them)
  std::vector<std::string> unlinked;  // chosen neighbours that refused our LINK (the glue chooses others)
  void clear() { sends.clear(), hits.clear(), done.clear(), proofs_wanted.clear(), blocked.clear(), unlinked.clear(); }
};

struct Counters {
  std::uint64_t searches_started = 0;
  std::uint64_t queries_received = 0;   // accepted, first copy
  std::uint64_t queries_forwarded = 0;  // received queries this node forwarded on
  std::uint64_t queries_answered = 0;   // received queries this node had hits for
  std::uint64_t query_messages = 0;     // QUERY messages sent (as source and relay)
  std::uint64_t extend_messages = 0;    // EXTEND messages sent
  std::uint64_t hit_messages = 0;       // HITS messages sent (own and relayed)
  std::uint64_t hits_sent = 0;          // own hit entries sent
  std::uint64_t hits_relayed = 0;       // HITS messages relayed towards a source
  std::uint64_t hits_delivered = 0;     // hits reported to local searches
  std::uint64_t duplicates = 0;         // copies of a seen query (and stale EXTENDs) dropped
  std::uint64_t over_limit = 0;         // queries over a limit (TTL, size, terms, rate) dropped
  std::uint64_t rate_limited = 0;       // of which over a query rate (peer, address or prefix)
  std::uint64_t address_limited = 0;    // of which over the rate of the sender's address or prefix
  std::uint64_t budget_clamped = 0;     // queries that came with a budget over max_budget (clamped)
  std::uint64_t legacy_queries = 0;     // version-1 queries without a budget (given legacy_budget)
  std::uint64_t budget_exhausted = 0;   // QUERY/EXTEND messages not sent: the query's budget ran out
  std::uint64_t hits_dropped = 0;       // HITS messages not relayed: over the per-query bound
  std::uint64_t malformed = 0;          // messages that did not decode
  std::uint64_t unknown_query = 0;      // HITS/EXTEND for a query not (or no longer) in the cache
  std::uint64_t late_hits = 0;          // hits for a search that was already done
  std::uint64_t widened = 0;            // searches that went to the other neighbours too
  // Search integrity.
  std::uint64_t proves_sent = 0;    // PROVE messages sent (hits this node asked proof of)
  std::uint64_t hits_verified = 0;  // hits whose proof checked
  std::uint64_t proofs_failed = 0;  // proofs refused, wrong, or not answered in time
  std::uint64_t hits_unprovable =
      0;  // hits no proof exists for (a name, not a content id) or the holder cannot give (too large): dropped
  std::uint64_t hits_unproven_keywords = 0;  // possession proven, the searched keywords not: dropped
  std::uint64_t hits_from_blocked = 0;       // hits naming or brought by a blocked node, dropped
  std::uint64_t verify_overflow = 0;         // hits dropped: the search's proof queue was full
  std::uint64_t proves_received = 0;         // PROVEs this node was asked
  std::uint64_t proofs_sent = 0;             // PROOFs with a proof this node sent
  std::uint64_t proofs_refused = 0;          // PROOFs sent saying not held / unprovable / busy
  std::uint64_t peers_blocked = 0;           // times a peer was blocked
  std::uint64_t blocked_refused = 0;         // LINKs and queries from blocked peers refused
  std::uint64_t inbound_refused = 0;         // peers not taken as inbound neighbours (no room, address share)
  std::uint64_t unlinks_received = 0;        // our LINK was refused by a chosen neighbour: another is chosen
  std::uint64_t links_withdrawn = 0;         // an inbound neighbour chose another and said so: slot freed
  std::uint64_t inbound_disconnected = 0;    // an inbound neighbour's last connection closed: slot freed
};

class Engine {
 public:
  Engine(std::string self_id, EngineConfig cfg, std::uint64_t seed);

  // This node's endpoints, sent with its hits.
  void set_endpoints(std::vector<std::string> eps) { endpoints_ = std::move(eps); }
  Neighbours& neighbours() { return neighbours_; }
  LocalIndex& index() { return index_; }
  const LocalIndex& index() const { return index_; }
  NeighbourStats& stats() { return stats_; }
  const NeighbourStats& stats() const { return stats_; }
  const Counters& counters() const { return counters_; }
  const EngineConfig& config() const { return cfg_; }
  const std::string& self() const { return self_; }
  double hop_estimate_ms() const { return hop_est_; }
  double first_hit_hops() const { return hit_hops_; }
  std::size_t active_searches() const { return searches_.size(); }

  // Starts a search; returns its handle (> 0), or 0 with `why` for a bad query (then no DONE).
  std::uint64_t start(std::uint64_t now_ms, const SearchSpec& spec, Actions& out, std::string& why);
  // A message from neighbour `from`, whose connection's remote address is `from_address`
  // ("tcp://ip:port"; empty when unknown: then only the per-peer query rate applies).
  void on_message(std::uint64_t now_ms, const std::string& from, std::string_view from_address,
                  const std::uint8_t* data, std::size_t len, Actions& out, std::string* why = nullptr);
  void on_message(std::uint64_t now_ms, const std::string& from, const std::uint8_t* data, std::size_t len,
                  Actions& out, std::string* why = nullptr) {
    on_message(now_ms, from, {}, data, len, out, why);
  }
  const SourceLimiter& limiter() const { return limiter_; }
  const PeerStanding& standing() const { return standing_; }
  bool blocked(const std::string& peer, std::uint64_t now_ms) const { return standing_.blocked(peer, now_ms); }
  // Whether `peer` refused our LINK lately (UNLINK): not chosen as a neighbour until then.
  bool link_refused(const std::string& peer, std::uint64_t now_ms) const { return neighbours_.refuses(peer, now_ms); }
  // Holder: answers a ProveWanted (the glue made `proof`, or a refusal, for it).
  void send_proof(const ProveWanted& w, Proof proof, Actions& out);
  // Searcher: the PROVE with `nonce` could not be sent (no connection, no usable address).
  void prove_failed(std::uint64_t now_ms, const QueryId& nonce, Actions& out);
  // Proofs this node awaits (for /search/status).
  std::size_t verifications() const { return verifications_.size(); }
  // Deadlines: deepening steps, timeouts, cache expiry.
  void tick(std::uint64_t now_ms, Actions& out);
  // The earliest time tick() has something to do (UINT64_MAX when idle).
  std::uint64_t next_deadline() const;
  // Ends a search now (DONE with `reason`); false when unknown.
  bool cancel(std::uint64_t search, const std::string& reason, Actions& out);
  // A neighbour is gone: no longer forwarded to, its statistics dropped.
  void forget_neighbour(const std::string& peer);
  // `peer`'s last connection to this node closed: its inbound slot is free at once (a peer that
  // still wants the link LINKs again every refresh period, over a new connection), instead of
  // after inbound_idle_ms (10 min) in which queries would go to a peer that left and the slot
  // would be refused to newcomers. Its outbound place and statistics stay: a chosen neighbour is
  // redialled when a query goes to it.
  void peer_disconnected(const std::string& peer);

 private:
  struct Search {
    std::uint64_t handle = 0;
    QueryId qid;
    std::uint32_t max_results = 0;
    std::uint8_t final_ttl = 0;
    std::uint8_t cur_ttl = 0;
    std::uint64_t started_ms = 0, step_started_ms = 0, step_deadline_ms = 0, deadline_ms = 0;
    std::set<std::pair<std::string, std::string>> pairs;
    std::uint32_t hits = 0, messages = 0;
    bool widened = false;
    // Hits waiting for a proof slot, and proofs asked (verify).
    struct Candidate {
      Hit hit;
      std::uint8_t hops = 0;
      std::string via;  // the neighbour the HITS came from
      std::uint64_t arrived_ms = 0;
    };
    std::deque<Candidate> waiting;
    std::uint32_t in_flight = 0;
    std::set<std::string> credited;  // neighbours credited a verified hit in this search
    QueryKind kind = QueryKind::Object;
    std::vector<std::string> terms;  // folded (keyword) or as given (object)
  };
  struct Verification {
    QueryId search;
    Search::Candidate c;
    std::uint64_t deadline_ms = 0;
  };
  // Whether a request from `from` (QUERY, PROVE) may cost this node work: not blocked, within
  // the sender's and its address's rate. Counts and says why not.
  bool admit_request(std::uint64_t now, const std::string& from, std::string_view address, std::string& why);
  void on_query(std::uint64_t now, const std::string& from, std::string_view address, const std::uint8_t* data,
                std::size_t len, Actions& out, std::string& why);
  void on_extend(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len, Actions& out,
                 std::string& why);
  void on_hits(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len, Actions& out,
               std::string& why);
  // Forwards the query of `e` (its query.ttl > 0) to the forwarding set; returns messages sent.
  std::uint32_t forward(SeenEntry& e, std::uint64_t now, Actions& out);
  // Sends `fwd` to the first of `targets` that `budget` (taken from e.budget) pays for, each with
  // its share; keeps `reserve_per_child` per target for EXTEND relays in e.budget. Returns sends.
  // `as_source`: this node's own search (only those teach the neighbour statistics).
  std::uint32_t send_query(SeenEntry& e, Query fwd, std::vector<std::string> targets, std::uint32_t budget,
                           std::uint32_t reserve_per_child, Actions& out, bool as_source);
  // Sends EXTEND(ttl) to e's children while its budget lasts (one unit each); returns sends.
  std::uint32_t send_extend(SeenEntry& e, std::uint8_t ttl, std::uint64_t now, Actions& out);
  std::vector<std::string> pick_forward(const std::vector<std::string>& candidates);
  std::vector<IndexMatch> answer(const Query& q) const;
  void finish(std::map<QueryId, Search>::iterator it, const std::string& reason, Actions& out);
  std::uint64_t step_wait(std::uint32_t ttl) const;
  void deliver(Search& s, const Hit& h, std::uint8_t hops, std::uint64_t now, Actions& out);
  // verify: the hits of one HITS message at the source.
  void admit(Search& s, const Hits& h, const std::string& from, std::uint64_t now, Actions& out);
  void pump(Search& s, std::uint64_t now, Actions& out);
  void on_prove(std::uint64_t now, const std::string& from, std::string_view address, const std::uint8_t* data,
                std::size_t len, Actions& out, std::string& why);
  void on_proof(std::uint64_t now, const std::string& from, const std::uint8_t* data, std::size_t len, Actions& out,
                std::string& why);
  // A verification ended: `verified` delivers the hit (with `proven_keywords`); otherwise the
  // holder (when `holder_fault`) and the neighbour that brought the hit lose standing.
  void conclude(std::map<QueryId, Verification>::iterator it, bool verified, bool holder_fault, bool relay_fault,
                std::vector<std::string> proven_keywords, std::uint64_t now, Actions& out);
  void learn_from_verified(Search& s, const Search::Candidate& c, std::uint64_t now);
  void penalise(const std::string& peer, bool lie, std::uint64_t now, Actions& out);
  // The neighbours a search may start with: demoted ones last.
  std::vector<std::string> first_hops(const std::vector<std::string>& candidates, std::size_t k, std::uint64_t now);

  std::string self_;
  EngineConfig cfg_;
  std::mt19937_64 rng_;
  std::vector<std::string> endpoints_;
  Neighbours neighbours_;
  LocalIndex index_;
  NeighbourStats stats_;
  SeenCache seen_;
  SourceLimiter limiter_;
  PeerStanding standing_;
  std::map<QueryId, Verification> verifications_;  // by nonce
  std::size_t proofs_preparing_ = 0;
  Counters counters_;
  std::map<QueryId, Search> searches_;
  std::uint64_t next_handle_ = 1;
  double hop_est_;
  double hit_hops_ = 0;  // moving average of the hops of each search's first hit (0: none yet)
};

}  // namespace butter::dbfs
