// The state reachability.cpp owns: this node's own reachability (the dial-back checks it asks
// for, the verdict their answers make, what peers announced about themselves) and, as the
// answering side, the dial-backs it runs for others.
#pragma once
#include "messages.hpp"
#include "verdict.hpp"

#include <butter/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace butter::nat {

struct ReachabilityConfig {
  std::string mode = "auto";  // auto | public | private
  unsigned quorum = 2, probes = 3;
  std::chrono::milliseconds check_fast{1000}, check_slow{30000}, dialback_timeout{2000};
};

// Asking side: the verdict and the checks that make it, and the peers' own announcements.
struct Reachability {
  struct PeerStatus {
    StatusMessage status;
    std::uint64_t at_ms = 0;
  };
  Verdict verdict{2};
  std::set<std::string> asking;                // peers with a dial-back request out
  std::map<std::string, PeerStatus> statuses;  // by peer: the last status it announced
  butter::Timer check_timer, status_timer;
  // What this node last announced to all its peers, and the peers it could not be sent to (their
  // queue was full): sent again at the next status check.
  std::vector<std::uint8_t> announced;
  std::set<std::string> status_owed;

  // A peer that went down: its answer will not come and its status no longer holds.
  void forget(const std::string& peer) {
    asking.erase(peer);
    statuses.erase(peer);
    status_owed.erase(peer);
  }
  // Peers whose last status says they are public (GET /nat's known_public), by id.
  std::vector<std::string> known_public() const;
};

// Answering side: the dial-backs run for requesters, one per requester at a time and at most
// kMaxJobs in all; each probes up to kMaxDialBackPorts ports with one connect each.
class DialBackJobs {
 public:
  struct Job {
    std::string from, observed;
    std::vector<std::uint8_t> reached;  // per port asked: 1 when the connect succeeded
    std::size_t left = 0;               // ports without an outcome yet
    butter::Reply reply;
  };
  struct PortProbe {  // one connect in flight
    int fd = -1;
    butter::FdWatch watch;
    butter::Timer timer;
  };

  bool busy(const std::string& from) const { return probing_from_.count(from) || jobs_.size() >= kMaxJobs; }
  // A job for `from`, probing `ports` ports of `observed`; its id.
  std::uint64_t open(const std::string& from, const std::string& observed, std::size_t ports, butter::Reply reply);
  PortProbe& probe(std::uint64_t job, std::size_t index) { return probes_[std::make_pair(job, index)]; }
  // Ends one port's connect, if still in flight: stops watching, cancels its timer, closes it.
  void close_probe(std::uint64_t job, std::size_t index);
  // Records one port's outcome; returns the job, removed from here, once every port has one.
  std::optional<Job> record(std::uint64_t job, std::size_t index, bool reached);
  // Closes every connect and fails every job (the instance stops).
  void stop();

 private:
  static constexpr std::size_t kMaxJobs = 8;
  std::map<std::uint64_t, Job> jobs_;
  std::map<std::pair<std::uint64_t, std::size_t>, PortProbe> probes_;
  std::set<std::string> probing_from_;  // requesters with a job in flight (one each)
  std::uint64_t next_job_ = 1;
};

struct ReachabilityMetrics {
  explicit ReachabilityMetrics(const butter::Metrics& m)
      : asked(m.counter("nat_dialbacks_requested_total")),
        served(m.counter("nat_dialbacks_served_total")),
        refused(m.counter("nat_dialbacks_refused_total")),
        reached(m.counter("nat_dialback_reached_total")),
        unreached(m.counter("nat_dialback_unreached_total")),
        verdict_changes(m.counter("nat_verdict_changes_total")),
        verdict(m.gauge("nat_verdict")) {}
  butter::Counter asked, served, refused, reached, unreached, verdict_changes;
  butter::Gauge verdict;  // 0 unknown, 1 public, 2 private
};

}  // namespace butter::nat
