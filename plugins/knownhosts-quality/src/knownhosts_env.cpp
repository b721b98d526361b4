// KnownHosts::HostEnv: the MembershipEnv over the plugin's host — its transport (requests, the
// connected peers), timers, identity (Ed25519 signatures), connection manager and metrics.
#include "knownhosts_env.hpp"

#include "quality_message.hpp"

#include <chrono>

namespace butter::knownhosts {

std::uint64_t KnownHosts::HostEnv::now_ms() { return static_cast<std::uint64_t>(k_.now().count()); }

std::uint64_t KnownHosts::HostEnv::unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::vector<PeerLink> KnownHosts::HostEnv::peers() {
  std::vector<PeerLink> out;
  for (const auto& p : k_.peers()) out.push_back(PeerLink{p.node_id, p.remote_address, p.endpoints});
  return out;
}

ConnLimits KnownHosts::HostEnv::conn_limits() {
  const auto w = k_.conns_.info();
  return ConnLimits{w.low_water, w.high_water, w.peers};
}

std::vector<std::string> KnownHosts::HostEnv::own_endpoints() { return k_.node().endpoints(); }

Quality KnownHosts::HostEnv::own_quality() {
  Quality q;
  q.uptime_s = static_cast<std::uint64_t>(k_.node().uptime().count() / 1000);
  // Free storage comes from the storage service when the node runs one.
  if (auto quota = k_.services().acquire<butter_storage_quota_v1>(BUTTER_IFACE_STORAGE_QUOTA)) {
    q.free_storage = quota->free_bytes(quota.provider());
  }
  return q;
}

bool KnownHosts::HostEnv::can_sign() { return k_.identity().available(); }

std::array<std::uint8_t, 32> KnownHosts::HostEnv::public_key() { return k_.identity().public_key(); }

std::array<std::uint8_t, 64> KnownHosts::HostEnv::sign(const std::vector<std::uint8_t>& message) {
  return k_.identity().sign(kRecordContext, butter::Bytes(message));
}

bool KnownHosts::HostEnv::verify(const PeerRecord& rec) {
  return verify_record(rec, [this](const std::array<std::uint8_t, 32>& key, const std::vector<std::uint8_t>& m,
                                   const std::array<std::uint8_t, 64>& sig) {
    return k_.identity().verify(key, kRecordContext, butter::Bytes(m), sig);
  });
}

bool KnownHosts::HostEnv::send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes,
                                     std::string& error) {
  butter::Status s = k_.request(id, kProtocol, bytes, k_.timeout_, [this, id](const butter::Response& r) {
    k_.engine_->on_probe_result(id, r.ok(), r.bytes().data(), r.bytes().size(), r.ok() ? std::string() : r.error());
    k_.update_gauges();
  });
  if (!s) error = s.message();
  return static_cast<bool>(s);
}

bool KnownHosts::HostEnv::send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes,
                                        bool want_neighbour, std::string& error) {
  butter::Status s =
      k_.request(id, kExchangeProtocol, bytes, k_.timeout_, [this, id, want_neighbour](const butter::Response& r) {
        k_.engine_->on_exchange_result(id, want_neighbour, r.ok(), r.bytes().data(), r.bytes().size(),
                                       r.ok() ? std::string() : r.error());
        k_.update_gauges();
      });
  if (!s) error = s.message();
  return static_cast<bool>(s);
}

void KnownHosts::HostEnv::protect(const std::string& id) { k_.conns_.protect(id, "overlay"); }
void KnownHosts::HostEnv::unprotect(const std::string& id) { k_.conns_.unprotect(id, "overlay"); }
void KnownHosts::HostEnv::release(const std::string& id) { k_.conns_.release(id); }

void KnownHosts::HostEnv::schedule_exchange(std::uint64_t delay_ms) {
  // Assigning replaces (and so cancels) the timer not yet fired.
  k_.exchange_timer_ = k_.after(std::chrono::milliseconds(delay_ms), [this] {
    k_.engine_->exchange_timer();
    k_.update_gauges();
  });
}

void KnownHosts::HostEnv::publish(const char* topic, const std::string& id) {
  if (k_.events().available()) k_.events().publish(topic, id);
}

void KnownHosts::HostEnv::add_address(const std::string& id, const std::string& endpoint) {
  k_.add_address(id, endpoint);
}

void KnownHosts::HostEnv::count(Metric m, std::uint64_t n) { k_.counters_[static_cast<std::size_t>(m)].add(n); }

void KnownHosts::HostEnv::debug(const std::string& line) { k_.log().debug("{}", line); }
void KnownHosts::HostEnv::info(const std::string& line) { k_.log().info("{}", line); }

}  // namespace butter::knownhosts
