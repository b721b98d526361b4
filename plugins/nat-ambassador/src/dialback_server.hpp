// DialBackServer: answering other nodes' dial-back requests (/butter/nat/1 DialBack): probing the
// ports they ask for at the IP their connection comes from, and answering which were reached. It
// owns the jobs in flight (DialBackJobs) and its metrics; it reaches the host through a NatPort
// and the host's fd service. The asking side, and the verdict, are reachability.cpp's.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"
#include "reachability.hpp"

#include <butter/cpp/fd.hpp>
#include <butter/cpp/metrics.hpp>
#include <butter/cpp/net.hpp>
#include <butter/cpp/timer.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace butter::nat {

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

struct DialBackMetrics {
  explicit DialBackMetrics(const butter::Metrics& m)
      : served(m.counter("nat_dialbacks_served_total")), refused(m.counter("nat_dialbacks_refused_total")) {}
  butter::Counter served, refused;
};

class DialBackServer {
 public:
  // `reach_config` is the plugin's (its dialback_timeout is each connect's deadline), set at init.
  DialBackServer(NatPort& port, butter::Fds fds, const ReachabilityConfig& reach_config, const butter::Metrics& metrics)
      : port_(port), fds_(fds), reach_config_(reach_config), metrics_(metrics) {}

  // A dial-back request from `from`: refused (no tcp connection from it, or busy), or answered
  // once every port asked has an outcome.
  void serve(const std::string& from, const DialBackRequest& req, butter::Reply reply);
  // The instance stops: every connect is closed and every job failed.
  void stop() { jobs_.stop(); }

 private:
  void probe_port(std::uint64_t job, std::size_t index, const std::string& ip, std::uint16_t port);
  void finish_probe(std::uint64_t job, std::size_t index, bool reached);

  NatPort& port_;
  butter::Fds fds_;
  const ReachabilityConfig& reach_config_;
  DialBackMetrics metrics_;
  DialBackJobs jobs_;
};

}  // namespace butter::nat
