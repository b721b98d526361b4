// Placement (see placement.hpp).
#include "placement.hpp"

#include <butter/network_key.hpp>

#include <set>

namespace butter::pcg {

std::string placement_address(const std::string& observed, const std::vector<std::string>& endpoints) {
  if (!observed.empty()) return observed;
  for (const auto& e : endpoints)
    if (!network_key(e).prefix.empty()) return e;
  return endpoints.empty() ? std::string() : endpoints.front();
}

std::vector<Candidate> diverse_recruits(const std::vector<Candidate>& candidates, const View& view, std::size_t need,
                                        const std::function<std::string(const Hash&)>& observed,
                                        const PlacementOptions& options) {
  auto keys = [&](const Hash& id, const std::vector<std::string>& endpoints) {
    NetworkKey k = network_key(placement_address(observed(id), endpoints));
    if (k.loopback && options.loopback_exempt) return NetworkKey{};
    return k;
  };
  std::set<std::string> addresses, prefixes;
  for (const auto& m : view.members) {
    const NetworkKey k = keys(m.id, m.endpoints);
    if (!k.address.empty()) addresses.insert(k.address);
    if (!k.prefix.empty()) prefixes.insert(k.prefix);
  }
  std::vector<Candidate> out;
  std::vector<std::pair<const Candidate*, NetworkKey>> held_prefix;  // the fallback, in order
  for (const auto& c : candidates) {
    if (view.contains(c.id)) continue;
    NetworkKey k = keys(c.id, c.endpoints);
    if (!k.address.empty() && addresses.count(k.address)) continue;  // never two on one address
    if (!k.prefix.empty() && prefixes.count(k.prefix)) {
      held_prefix.emplace_back(&c, std::move(k));
      continue;
    }
    if (!k.address.empty()) addresses.insert(k.address);
    if (!k.prefix.empty()) prefixes.insert(k.prefix);
    out.push_back(c);
  }
  // Too few other networks (one LAN, say): another address of a held prefix, up to the need.
  for (const auto& [c, k] : held_prefix) {
    if (out.size() >= need) break;
    if (!addresses.insert(k.address).second) continue;
    out.push_back(*c);
  }
  return out;
}

}  // namespace butter::pcg
