// The plugin's side of /butter/nat/1: each message to the concept it is for (ReachabilityCheck,
// DialBackServer, Upgrader; Observe to relay.cpp, Ping answered here), and the status this node
// announces, gathered from the concepts that know it.
#include "nat_plugin.hpp"

namespace butter::nat {

void NatAmbassador::on_verdict(Reach now) {
  if (now == Reach::Public) {
    ambassador_.drop("this node is public", false);
  } else if (now == Reach::Private) {
    // No longer an ambassador: let the clients go elsewhere.
    relay_server_.stop_serving();
    ambassador_.choose();
  }
}

void NatAmbassador::prefer_relay(const std::string& peer, const std::string& endpoint) {
  // Newest first: sending to `peer` by id now tries the relay before its unreachable tcp.
  if (streams_.available()) {
    (void)streams_.prefer_address(peer, endpoint);
  } else {
    add_address(peer, endpoint);
  }
}

StatusMessage NatAmbassador::status_message() const {
  StatusMessage s;
  s.verdict = reach_.verdict.state();
  s.serving = relay_server_.serving() && relay_server_.clients() < limits_.max_clients;
  s.clients = static_cast<std::uint32_t>(relay_server_.clients());
  s.max_clients = limits_.max_clients;
  s.relay_endpoint = ambassador_.relay_endpoint();
  return s;
}

void NatAmbassador::handle_nat(const butter::Request& req, butter::Reply& reply) {
  const std::string from(req.from());
  const auto* data = req.bytes().data();
  const auto len = req.bytes().size();
  auto type = nat_type(data, len);
  std::string why;
  if (!type) {
    port_.malformed();
    log().debug("malformed /butter/nat/1 message from {}: unknown type", from.substr(0, 8));
    reply.fail(BUTTER_E_INVALID, "unknown message type");
    return;
  }
  switch (*type) {
    case NatType::DialBack: {
      auto d = decode_dialback(data, len, why);
      if (!d || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed dial-back request from {}: {}", from.substr(0, 8), d ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, why);
        return;
      }
      dialback_server_.serve(from, *d, std::move(reply));
      return;
    }
    case NatType::Status: {
      auto s = decode_status(data, len, why);
      if (!s) {
        port_.malformed();
        log().debug("malformed status from {}: {}", from.substr(0, 8), why);
        return;
      }
      reach_check_.on_status(from, *s);
      return;
    }
    case NatType::Connect: {
      auto connect = decode_connect(data, len, why);
      if (!connect || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed connect from {}: {}", from.substr(0, 8), connect ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, connect ? "connect must be a request" : why);
        return;
      }
      upgrader_.on_connect(from, *connect, reply);
      return;
    }
    case NatType::Sync:
      if (len != 1) {
        port_.malformed();
        return;
      }
      upgrader_.on_sync(from);
      return;
    case NatType::Ping:
      reply.ok_parts({"pong:", req.text().substr(1)});  // no joined copy: the host queues the parts
      return;
    case NatType::Mapping:
      if (len != 1 || !req.expects_reply()) {
        port_.malformed();
        reply.fail(BUTTER_E_INVALID, "mapping must be a request of one byte");
        return;
      }
      upgrader_.serve_mapping(from, reply);
      return;
    case NatType::Observe: {
      auto node = decode_observe(data, len, why);
      if (!node || !req.expects_reply()) {
        port_.malformed();
        log().debug("malformed observe request from {}: {}", from.substr(0, 8), node ? "not a request" : why);
        reply.fail(BUTTER_E_INVALID, node ? "observe must be a request" : why);
        return;
      }
      serve_observe(from, *node, reply);
      return;
    }
  }
}

}  // namespace butter::nat
