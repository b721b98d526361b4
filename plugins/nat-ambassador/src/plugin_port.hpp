// PluginPort: the NatPort (nat_port.hpp) of a running instance, over the SDK's butter::Plugin.
// The plugin's concept classes reach the host only through it.
#pragma once
#include "nat_port.hpp"

#include <butter/plugin.hpp>

#include <string>
#include <utility>

namespace butter::nat {

class PluginPort final : public NatPort {
 public:
  explicit PluginPort(butter::Plugin& plugin)
      : plugin_(plugin), malformed_(plugin.metrics().counter("nat_malformed_total")) {}

  std::uint64_t now_ms() const override { return static_cast<std::uint64_t>(plugin_.now().count()); }
  butter::Status send(std::string_view peer, std::string_view protocol, butter::Bytes payload) override {
    return plugin_.send(peer, protocol, payload);
  }
  butter::Status send_sealed(std::string_view peer, std::string_view protocol, butter::Bytes head,
                             butter::Bytes sealed) override {
    return plugin_.send_sealed(peer, protocol, head, sealed);
  }
  butter::Status request(std::string_view peer, std::string_view protocol, butter::Bytes payload,
                         std::chrono::milliseconds timeout, butter::ResponseHandler fn) override {
    return plugin_.request(peer, protocol, payload, timeout, std::move(fn));
  }
  butter::Status post(std::function<void()> fn) override { return plugin_.post(std::move(fn)); }
  butter::Timer every(std::chrono::milliseconds period, std::function<void()> fn) override {
    return plugin_.every(period, std::move(fn));
  }
  butter::Timer after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    return plugin_.after(delay, std::move(fn));
  }
  butter::Status add_address(std::string_view node_id, std::string_view endpoint) override {
    return plugin_.add_address(node_id, endpoint);
  }
  std::vector<butter::PeerInfo> peers() override { return plugin_.peers(); }
  std::optional<butter::PeerInfo> peer(std::string_view node_id) override { return plugin_.peer(node_id); }
  std::vector<std::string> endpoints() const override { return plugin_.node().endpoints(); }
  butter::Log log() const override { return plugin_.log(); }
  void malformed() override { malformed_.add(); }

 private:
  butter::Plugin& plugin_;
  butter::Counter malformed_;
};

}  // namespace butter::nat
