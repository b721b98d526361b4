// butter.peers/1 as a static C vtable over the KnownHosts instance. Every entry point guards
// against exceptions (a C caller cannot take one) and validates its arguments.
#include "knownhosts_plugin.hpp"

namespace butter::knownhosts {
namespace {

KnownHosts* self(const butter_plugin* p) { return butter::Plugin::from<KnownHosts>(p); }
std::string to_string(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }

butter_status add_candidate(const butter_plugin* p, butter_str node_id, const butter_str* endpoints, uint32_t count,
                            butter_str source) {
  KnownHosts* k = self(p);
  if (!k || (count && !endpoints)) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_INTERNAL;
  butter_status st = k->guarded("peers.add_candidate", [&] {
    std::vector<std::string> eps;
    for (uint32_t i = 0; i < count && i < 16; ++i) {
      std::string e = to_string(endpoints[i]);
      if (e.find("://") != std::string::npos && e.size() <= 255) eps.push_back(std::move(e));
    }
    out = k->add_candidate(to_string(node_id), std::move(eps),
                           std::string_view(source.data ? source.data : "", source.data ? source.len : 0));
  });
  return st != BUTTER_OK ? st : out;
}

butter_status remove(const butter_plugin* p, butter_str node_id) {
  KnownHosts* k = self(p);
  if (!k) return BUTTER_E_INVALID;
  butter_status out = BUTTER_E_INTERNAL;
  butter_status st = k->guarded("peers.remove", [&] { out = k->remove(to_string(node_id)); });
  return st != BUTTER_OK ? st : out;
}

uint32_t count(const butter_plugin* p) {
  KnownHosts* k = self(p);
  return k ? static_cast<uint32_t>(k->cache().size()) : 0;
}

butter_status list(const butter_plugin* p, butter_peer_record_fn fn, void* user) {
  KnownHosts* k = self(p);
  if (!k || !fn) return BUTTER_E_INVALID;
  return k->guarded("peers.list", [&] {
    std::vector<butter_str> eps;
    for (const auto& [id, h] : k->cache().hosts()) {
      butter_peer_record r = k->record(h, eps);
      fn(user, &r);
    }
  });
}

butter_status sample(const butter_plugin* p, uint32_t n, butter_peer_record_fn fn, void* user) {
  KnownHosts* k = self(p);
  if (!k || !fn) return BUTTER_E_INVALID;
  return k->guarded("peers.sample", [&] {
    std::vector<butter_str> eps;
    for (const HostEntry* h : k->sample(n)) {
      butter_peer_record r = k->record(*h, eps);
      fn(user, &r);
    }
  });
}

butter_status lookup(const butter_plugin* p, butter_str node_id, butter_peer_record_fn fn, void* user) {
  KnownHosts* k = self(p);
  if (!k || !fn) return BUTTER_E_INVALID;
  const HostEntry* h = k->cache().find(to_string(node_id));
  if (!h) return BUTTER_E_NOT_FOUND;
  return k->guarded("peers.lookup", [&] {
    std::vector<butter_str> eps;
    butter_peer_record r = k->record(*h, eps);
    fn(user, &r);
  });
}

const butter_peers_v1 kPeers = {add_candidate, remove, count, list, sample, lookup};

}  // namespace

const butter_peers_v1* peers_vtable() { return &kPeers; }

}  // namespace butter::knownhosts
