// KnownHosts::HostEnv: the MembershipEnv the plugin gives its engine (knownhosts_env.cpp).
#pragma once
#include "knownhosts_plugin.hpp"

namespace butter::knownhosts {

class KnownHosts::HostEnv final : public MembershipEnv {
 public:
  explicit HostEnv(KnownHosts& k) : k_(k) {}
  std::uint64_t now_ms() override;
  std::uint64_t unix_ms() override;
  std::vector<PeerLink> peers() override;
  ConnLimits conn_limits() override;
  std::vector<std::string> own_endpoints() override;
  Quality own_quality() override;
  bool can_sign() override;
  std::array<std::uint8_t, 32> public_key() override;
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>& message) override;
  bool verify(const PeerRecord& rec) override;
  bool send_probe(const std::string& id, const std::vector<std::uint8_t>& bytes, std::string& error) override;
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool want_neighbour,
                     std::string& error) override;
  void protect(const std::string& id) override;
  void unprotect(const std::string& id) override;
  void release(const std::string& id) override;
  void schedule_exchange(std::uint64_t delay_ms) override;
  void publish(const char* topic, const std::string& id) override;
  void add_address(const std::string& id, const std::string& endpoint) override;
  void count(Metric m, std::uint64_t n) override;
  void debug(const std::string& line) override;
  void info(const std::string& line) override;

 private:
  KnownHosts& k_;
};

}  // namespace butter::knownhosts
