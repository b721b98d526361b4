// RecordStore: the newest signed record of each known node, bounded in count. A record replaces
// the one held only when its seq is higher (a replayed or older record changes nothing), or when
// it is the same record with more of its endpoints visible (forwarders redact per receiver); records
// issued too long ago or too far in the future (clock skew) are refused. When full, the record
// issued longest ago goes first. Pure logic: time is passed in.
#pragma once
#include "peer_record.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>

namespace butter::knownhosts {

enum class RecordOffer { Accepted, Stale, Expired, Future };
const char* offer_name(RecordOffer o);

class RecordStore {
 public:
  struct Limits {
    std::size_t capacity = 1024;
    std::uint64_t max_age_ms = 2 * 3600 * 1000;  // older records are refused and dropped
    std::uint64_t max_skew_ms = 10 * 60 * 1000;  // issued further in the future: refused
  };
  explicit RecordStore(Limits limits) : limits_(limits) {}
  void set_capacity(std::size_t c);
  const Limits& limits() const { return limits_; }

  RecordOffer offer(const PeerRecord& rec, std::uint64_t now_ms);
  const PeerRecord* find(const std::string& id_hex) const;
  bool erase(const std::string& id_hex);
  // Drops every record older than max_age; returns the ids dropped.
  std::vector<std::string> expire(std::uint64_t now_ms);
  std::size_t size() const { return records_.size(); }

 private:
  Limits limits_;
  std::map<std::string, PeerRecord> records_;
  std::set<std::pair<std::uint64_t, std::string>> by_issued_;
};

}  // namespace butter::knownhosts
