#include "interface_subnets.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>

namespace butter::discovery {

std::vector<Subnet> interface_subnets(const std::string& interface) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  auto ipv4 = [](const sockaddr* sa) { return ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr); };
  auto usable = [](const ifaddrs* i) {
    return i->ifa_addr && i->ifa_netmask && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP);
  };
  const auto wanted = parse_ipv4(interface);
  // The interfaces discovery uses: the one holding `interface`, or all of them.
  std::set<std::string> names;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!usable(i)) continue;
    if (interface.empty() ? !(i->ifa_flags & IFF_LOOPBACK) : (wanted && ipv4(i->ifa_addr) == *wanted))
      names.insert(i->ifa_name);
  }
  std::vector<Subnet> subnets;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!usable(i) || !names.count(i->ifa_name)) continue;
    const std::uint32_t mask = ipv4(i->ifa_netmask);
    const Subnet s{ipv4(i->ifa_addr) & mask, mask};
    if (std::find(subnets.begin(), subnets.end(), s) == subnets.end()) subnets.push_back(s);
  }
  ::freeifaddrs(list);
  return subnets;
}

}  // namespace butter::discovery
