// What this node learnt about each neighbour from past queries, for the directed-BFS heuristics
// of Yang & Garcia-Molina: results returned per query sent (>RES), time to the first hit (<TIME),
// hops of the nearest hit (<HOPS). Every query this node sends or relays to a neighbour teaches
// it. Old queries fade (exponential decay).
//
// Only what this node observed counts: queries it sent as a source, and hits whose holder proved
// them (Engine verifies every hit before it credits it here; see standing.hpp). A relay does not
// verify the hits it passes on, so it learns nothing from them: otherwise a stranger answering
// every query with forged hits would be credited with results and get the queries routed to it.
// The hops of a credited hit are clamped by the caller to the TTL the query was sent with.
#pragma once
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace butter::dbfs {

enum class Heuristic { Results, Time, Hops, Random };
const char* heuristic_name(Heuristic h);
bool parse_heuristic(std::string_view s, Heuristic& out);

struct NeighbourRecord {
  double sent = 0;            // queries sent to it (decayed)
  double results = 0;         // hits that came back through it (decayed with `sent`)
  double answered = 0;        // queries it returned at least one hit for (decayed)
  double first_ms = 0;        // moving average of the time to its first hit of a query
  double hops = 0;            // moving average of the hops of its first hit of a query
  std::uint64_t samples = 0;  // queries sent to it, not decayed
};

class NeighbourStats {
 public:
  // `decay` in (0, 1]: weight kept by the past at each query sent to a neighbour.
  // `min_samples`: queries a neighbour needs before its record is trusted.
  explicit NeighbourStats(double decay = 0.95, std::uint64_t min_samples = 3, std::size_t max_records = 256)
      : decay_(decay), min_samples_(min_samples), max_records_(max_records) {}

  void on_sent(const std::string& peer);
  // `first` is true for the first hit message of a query from this peer.
  void on_hits(const std::string& peer, std::size_t count, std::uint64_t delay_ms, std::uint32_t hops, bool first);
  void forget(const std::string& peer) { records_.erase(peer); }

  const NeighbourRecord* find(const std::string& peer) const;
  // True when at least one of `peers` has enough samples to rank it.
  bool warm(const std::vector<std::string>& peers) const;
  // Higher is better; neighbours without enough samples get the best known score (optimism:
  // they are tried), so that a new neighbour is not starved.
  double score(const std::string& peer, Heuristic h) const;

  // Picks up to k of `peers` by heuristic `h` (ties at random); plain random when `h` is Random
  // or nothing is known yet (a cold node).
  std::vector<std::string> select(const std::vector<std::string>& peers, std::size_t k, Heuristic h,
                                  std::mt19937_64& rng) const;
  std::size_t size() const { return records_.size(); }

 private:
  double raw_score(const NeighbourRecord& r, Heuristic h) const;
  double decay_;
  std::uint64_t min_samples_;
  std::size_t max_records_;
  std::map<std::string, NeighbourRecord> records_;
};

}  // namespace butter::dbfs
