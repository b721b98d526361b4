#include "port_mapping.hpp"

#include <algorithm>

namespace butter::nat {

const char* mapping_name(Mapping m) {
  switch (m) {
    case Mapping::Keeps:
      return "keeps-ports";
    case Mapping::Varies:
      return "varies";
    case Mapping::Unknown:
      break;
  }
  return "unknown";
}

void PortMapping::observe(const std::string& observer, std::uint16_t local_port, std::uint16_t observed_port,
                          std::uint64_t now_ms) {
  if (observer.empty() || local_port == 0 || observed_port == 0) return;
  expire(now_ms);
  if (!by_observer_.count(observer) && by_observer_.size() >= kMaxObservers) {
    auto oldest = std::min_element(by_observer_.begin(), by_observer_.end(),
                                   [](const auto& a, const auto& b) { return a.second.at_ms < b.second.at_ms; });
    by_observer_.erase(oldest);
  }
  by_observer_[observer] = Vote{local_port == observed_port, now_ms};
}

void PortMapping::expire(std::uint64_t now_ms) {
  std::erase_if(by_observer_, [&](const auto& v) { return now_ms > v.second.at_ms + ttl_ms_; });
}

std::size_t PortMapping::votes(std::uint64_t now_ms) const {
  return static_cast<std::size_t>(std::count_if(by_observer_.begin(), by_observer_.end(),
                                                [&](const auto& v) { return now_ms <= v.second.at_ms + ttl_ms_; }));
}

Mapping PortMapping::verdict(std::uint64_t now_ms) const {
  std::size_t kept = 0, varied = 0;
  for (const auto& [observer, v] : by_observer_) {
    if (now_ms > v.at_ms + ttl_ms_) continue;
    (v.kept ? kept : varied) += 1;
  }
  if (varied >= quorum_ && varied > kept) return Mapping::Varies;
  if (kept >= quorum_ && kept > varied) return Mapping::Keeps;
  return Mapping::Unknown;
}

}  // namespace butter::nat
