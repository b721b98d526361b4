// KnownHosts: the manifest keys, checked, into a MembershipConfig (each bad value names its key
// and the range it must be in). Defaults and ranges are declared once, in the schema
// (plugin_entry.cpp): an absent key reads as its default, and a host of ABI 1.3 refuses a value
// out of range at its manifest position. The getters check the schema's range on any host (so the
// casts are safe where a host enforces none); get_float_in / get_int_in state what a schema cannot
// (exclusive float bounds, a type's limit), and the checks written out are of one key against
// another.
#include "knownhosts_plugin.hpp"

#include <algorithm>
#include <limits>

namespace butter::knownhosts {

namespace {
// What one cache entry costs, for sizing the cache from the node's memory budget.
constexpr std::uint64_t kEntryBytes = 1024;
}  // namespace

MembershipConfig KnownHosts::read_config() {
  MembershipConfig c;
  std::int64_t capacity = config().get_int("capacity");
  const double share = config().get_float_in("memory_share", 0, 1, butter::Config::Open::Min);
  if (capacity == 0) {
    capacity = static_cast<std::int64_t>(static_cast<double>(node().memory_budget()) * share / kEntryBytes);
  }
  c.capacity = static_cast<std::size_t>(std::max<std::int64_t>(1, capacity));
  refresh_ = std::chrono::milliseconds(config().get_int("refresh_ms"));
  timeout_ = std::chrono::milliseconds(config().get_int("timeout_ms"));
  c.max_failures =
      static_cast<std::uint32_t>(config().get_int_in("max_failures", 1, std::numeric_limits<std::uint32_t>::max()));
  c.probation_max = static_cast<std::size_t>(config().get_int("probation_max"));
  c.probes_per_refresh = static_cast<std::size_t>(config().get_int("probes_per_refresh"));
  c.admission = admission_limits();
  read_overlay_config(c);
  return c;
}

AdmissionLimits KnownHosts::admission_limits() {
  // Sybil bounds (quality_cache.hpp): ids cost nothing, addresses and networks do.
  const std::int64_t per_address = config().get_int("max_per_address");
  const std::int64_t per_prefix = config().get_int("max_per_prefix");
  if (per_prefix < per_address)
    throw butter::Error(BUTTER_E_INVALID,
                        "max_per_prefix must be >= max_per_address (a /24 or /48 holds its addresses)");
  AdmissionLimits l;
  l.per_address = static_cast<std::size_t>(per_address);
  l.per_prefix = static_cast<std::size_t>(per_prefix);
  l.loopback_exempt = config().get_bool("loopback_exempt");
  l.established_ms = static_cast<std::uint64_t>(config().get_int("established_ms"));
  return l;
}

void KnownHosts::read_overlay_config(MembershipConfig& c) {
  const auto watermarks = conns_.info();
  std::int64_t want = config().get_int("neighbours");
  std::int64_t max_in = config().get_int("max_inbound_neighbours");
  const std::int64_t ex_min = config().get_int("exchange_min_ms");
  const std::int64_t ex_max = config().get_int("exchange_ms");
  if (ex_max < ex_min) throw butter::Error(BUTTER_E_INVALID, "need 0 < exchange_min_ms <= exchange_ms");
  const std::int64_t ex_size = config().get_int("exchange_size");
  neighbour_period_ = std::chrono::milliseconds(config().get_int("neighbour_ms"));
  const std::int64_t max_age = config().get_int("record_max_age_ms");
  const std::int64_t news_ttl = config().get_int("news_ttl_ms");
  const double checks = config().get_float_in("record_checks_per_s", 0, 1e6, butter::Config::Open::Min);
  // Defaults follow the host's watermarks: choose low_water neighbours, and accept from others
  // what keeps the neighbours (all protected) half a `neighbours` short of high_water. That room is
  // for what is not a neighbour: a storage group's members, a search's, a relay's, hosts probed
  // once. Taking the whole room (high - want, as before) left 20 of 1000 nodes above the high water
  // with every slot protected; leaving 2 x want (max_in 16) met it but slowed convergence 41 -> 63 s
  // (fewer slots for the last nodes); 1.5 x want (8/32: 20): 45.8 s, busiest 31 (butter-bench-overlay).
  if (want == 0) want = watermarks.low_water ? watermarks.low_water : 8;
  if (max_in == 0) {
    std::int64_t high = watermarks.high_water ? watermarks.high_water : 32;
    max_in = std::max<std::int64_t>(want, high - want - want / 2);
  }
  c.neighbours.want_out = static_cast<std::size_t>(want);
  c.neighbours.max_in = static_cast<std::size_t>(max_in);
  c.exchange_min_ms = static_cast<std::uint64_t>(ex_min);
  c.exchange_max_ms = static_cast<std::uint64_t>(ex_max);
  c.exchange_size = static_cast<std::size_t>(ex_size);
  c.record_max_age_ms = static_cast<std::uint64_t>(max_age);
  c.news_ttl_ms = static_cast<std::uint64_t>(news_ttl);
  c.record_checks_per_s = checks;
  c.rumour.fanout = static_cast<std::size_t>(config().get_int("news_fanout"));
  c.rumour.news_per_min = static_cast<std::size_t>(config().get_int("news_per_min"));
}

}  // namespace butter::knownhosts
