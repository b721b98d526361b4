// DialBackServer (dialback_server.hpp): dial-backs run for other nodes.
//
// No amplification: a dial-back goes only to the IP address the request's connection comes from
// (as this node's transport sees it), to at most kMaxDialBackPorts ports, one job per requester
// at a time and at most DialBackJobs::kMaxJobs jobs in all. The probe is a plain TCP connect
// (through the host's fd service) that is closed as soon as it completes: it proves that a
// connection from outside reaches the port, which is all "public" means.
#include "dialback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace butter::nat {

namespace {

std::string host_of(const std::string& tcp_uri) {
  std::string host;
  std::uint16_t port = 0;
  return split_tcp_endpoint(tcp_uri, host, port) ? host : std::string();
}

}  // namespace

// ---- the jobs (DialBackJobs) ----------------------------------------------------------------------

std::uint64_t DialBackJobs::open(const std::string& from, const std::string& observed, std::size_t ports,
                                 butter::Reply reply) {
  const std::uint64_t id = next_job_++;
  Job& j = jobs_[id];
  j.from = from;
  j.observed = observed;
  j.reached.assign(ports, 0);
  j.left = ports;
  j.reply = std::move(reply);
  probing_from_.insert(from);
  return id;
}

void DialBackJobs::close_probe(std::uint64_t job, std::size_t index) {
  auto it = probes_.find(std::make_pair(job, index));
  if (it == probes_.end()) return;
  PortProbe p = std::move(it->second);
  probes_.erase(it);
  p.watch.unwatch();  // before closing: the host never closes it
  p.timer.cancel();
  if (p.fd >= 0) ::close(p.fd);
}

std::optional<DialBackJobs::Job> DialBackJobs::record(std::uint64_t job, std::size_t index, bool reached) {
  auto j = jobs_.find(job);
  if (j == jobs_.end()) return std::nullopt;
  if (index < j->second.reached.size()) j->second.reached[index] = reached ? 1 : 0;
  if (j->second.left > 0 && --j->second.left > 0) return std::nullopt;
  Job done = std::move(j->second);
  jobs_.erase(j);
  probing_from_.erase(done.from);
  return done;
}

void DialBackJobs::stop() {
  for (auto& [key, p] : probes_) {
    p.watch.unwatch();
    p.timer.cancel();
    if (p.fd >= 0) ::close(p.fd);
    p.fd = -1;
  }
  probes_.clear();
  for (auto& [id, j] : jobs_) j.reply.fail(BUTTER_E_UNAVAILABLE, "stopping");
  jobs_.clear();
}

// ---- answering --------------------------------------------------------------------------------------

void DialBackServer::serve(const std::string& from, const DialBackRequest& req, butter::Reply reply) {
  const auto p = port_.peer(from);  // one lookup by id: a peer's message costs no walk of every peer
  const std::string observed = p ? host_of(p->remote_address) : std::string();
  if (observed.empty()) {
    metrics_.refused.add();
    reply.error(BUTTER_E_UNAVAILABLE, "no tcp connection from the requester to dial back to");
    return;
  }
  if (jobs_.busy(from)) {
    metrics_.refused.add();
    reply.error(BUTTER_E_AGAIN, "busy: try later");
    return;
  }
  metrics_.served.add();
  if (req.ports.empty()) {
    reply.ok(encode_dialback_result(DialBackResult{observed, {}}));
    return;
  }
  const std::uint64_t job = jobs_.open(from, observed, req.ports.size(), std::move(reply));
  for (std::size_t i = 0; i < req.ports.size(); ++i) probe_port(job, i, observed, req.ports[i]);
}

void DialBackServer::probe_port(std::uint64_t job, std::size_t index, const std::string& ip, std::uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (ip.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) != 1) return finish_probe(job, index, false);
    family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1) return finish_probe(job, index, false);
    len = sizeof(sockaddr_in);
  }
  int sock = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock < 0) return finish_probe(job, index, false);
  int rc = ::connect(sock, reinterpret_cast<sockaddr*>(&ss), len);
  if (rc == 0 || errno != EINPROGRESS) {
    ::close(sock);
    return finish_probe(job, index, rc == 0);
  }
  DialBackJobs::PortProbe& p = jobs_.probe(job, index);
  p.fd = sock;
  try {
    p.watch = fds_.watch(sock, butter::FdWrite, [this, job, index](int s, int) {
      int err = 0;
      socklen_t l = sizeof err;
      if (::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l) != 0) err = errno;
      finish_probe(job, index, err == 0);
    });
  } catch (const butter::Error& e) {
    port_.log().warn("cannot watch a dial-back socket: {}", e.what());
    return finish_probe(job, index, false);
  }
  p.timer = port_.after(reach_config_.dialback_timeout, [this, job, index] { finish_probe(job, index, false); });
}

void DialBackServer::finish_probe(std::uint64_t job, std::size_t index, bool reached) {
  jobs_.close_probe(job, index);
  auto done = jobs_.record(job, index, reached);
  if (done) done->reply.ok(encode_dialback_result(DialBackResult{done->observed, done->reached}));
}

}  // namespace butter::nat
