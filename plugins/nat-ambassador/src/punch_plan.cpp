// plan_punch: the peer's claims filtered and ordered; the spread only towards a vouched IP.
#include "punch_plan.hpp"

#include "messages.hpp"

#include <algorithm>

#include <arpa/inet.h>

#include <cstring>

namespace butter::nat {

namespace {
// The same address, whatever its spelling ("2001:db8::1" and "2001:0db8:0::1").
bool same_ip(std::string_view a, std::string_view b) {
  if (a.size() > 45 || b.size() > 45) return false;
  const std::string x(a), y(b);
  unsigned char ba[16], bb[16];
  if (::inet_pton(AF_INET, x.c_str(), ba) == 1)
    return ::inet_pton(AF_INET, y.c_str(), bb) == 1 && std::memcmp(ba, bb, 4) == 0;
  return ::inet_pton(AF_INET6, x.c_str(), ba) == 1 && ::inet_pton(AF_INET6, y.c_str(), bb) == 1 &&
         std::memcmp(ba, bb, 16) == 0;
}
}  // namespace

bool punchable_address(std::string_view uri) {
  std::string host;
  std::uint16_t port = 0;
  return split_tcp_endpoint(uri, host, port) && port != 0 && punchable_ip(host);
}

PunchPlan plan_punch(const std::vector<std::string>& offered, const std::vector<std::string>& listen,
                     std::string_view vouched_ip) {
  PunchPlan plan;
  for (const auto& a : offered) {
    if (plan.addresses.size() >= kMaxPunchAddresses) break;
    if (punchable_address(a) && std::find(plan.addresses.begin(), plan.addresses.end(), a) == plan.addresses.end())
      plan.addresses.push_back(a);
  }
  auto is_listen = [&](const std::string& a) { return std::find(listen.begin(), listen.end(), a) != listen.end(); };
  auto at_vouched = [&](const std::string& a) {
    std::string host;
    std::uint16_t port = 0;
    return !vouched_ip.empty() && split_tcp_endpoint(a, host, port) && same_ip(host, vouched_ip) && !is_listen(a);
  };
  // Vouched public address, other public addresses, listen addresses; the offered order within.
  std::stable_partition(plan.addresses.begin(), plan.addresses.end(),
                        [&](const std::string& a) { return !is_listen(a); });
  std::stable_partition(plan.addresses.begin(), plan.addresses.end(), at_vouched);
  plan.spread = !plan.addresses.empty() && at_vouched(plan.addresses.front());
  return plan;
}

SpreadSize spread_for(Mapping mine, Mapping theirs, SpreadSize base, SpreadSize hard) {
  const bool i_vary = mine == Mapping::Varies, they_vary = theirs == Mapping::Varies;
  SpreadSize out = base;
  if (i_vary && !they_vary) out.sockets = std::max(base.sockets, hard.sockets);
  if (they_vary && !i_vary) out.guesses = std::max(base.guesses, hard.guesses);
  return out;
}

}  // namespace butter::nat
