// KnownHosts: the manifest keys, checked, into a MembershipConfig (each bad value names its key
// and the range it must be in). Defaults and ranges are declared once, in the schema
// (plugin_entry.cpp): an absent key reads as its default, and a host of ABI 1.3 refuses a value
// out of range at its manifest position. The checks here keep what a schema cannot say (one key
// against another, exclusive float bounds) and guard the casts on a host that enforces no ranges.
#include "knownhosts.hpp"

#include <algorithm>

namespace butter::knownhosts {

namespace {
// What one cache entry costs, for sizing the cache from the node's memory budget.
constexpr std::uint64_t kEntryBytes = 1024;
}  // namespace

MembershipConfig KnownHosts::read_config() {
  MembershipConfig c;
  std::int64_t capacity = config().get_int("capacity");
  double share = config().get_float("memory_share");
  if (capacity < 0) throw butter::Error(BUTTER_E_INVALID, "capacity must be >= 0 (0 = from the memory budget)");
  if (share <= 0 || share > 1) throw butter::Error(BUTTER_E_INVALID, "memory_share must be in (0, 1]");
  if (capacity == 0) {
    capacity = static_cast<std::int64_t>(static_cast<double>(node().memory_budget()) * share / kEntryBytes);
  }
  c.capacity = static_cast<std::size_t>(std::max<std::int64_t>(1, capacity));
  std::int64_t refresh = config().get_int("refresh_ms");
  std::int64_t timeout = config().get_int("timeout_ms");
  std::int64_t failures = config().get_int("max_failures");
  std::int64_t probation = config().get_int("probation_max");
  std::int64_t probes = config().get_int("probes_per_refresh");
  if (refresh <= 0 || timeout <= 0 || failures <= 0 || probation <= 0 || probes <= 0) {
    throw butter::Error(BUTTER_E_INVALID,
                        "refresh_ms, timeout_ms, max_failures, probation_max and probes_per_refresh must be > 0");
  }
  c.probes_per_refresh = static_cast<std::size_t>(probes);
  c.admission = admission_limits();
  refresh_ = std::chrono::milliseconds(refresh);
  timeout_ = std::chrono::milliseconds(timeout);
  c.max_failures = static_cast<std::uint32_t>(failures);
  c.probation_max = static_cast<std::size_t>(probation);
  read_overlay_config(c);
  return c;
}

AdmissionLimits KnownHosts::admission_limits() {
  // Sybil bounds (quality_cache.hpp): ids cost nothing, addresses and networks do.
  std::int64_t per_address = config().get_int("max_per_address");
  std::int64_t per_prefix = config().get_int("max_per_prefix");
  std::int64_t established = config().get_int("established_ms");
  if (per_address < 1)
    throw butter::Error(BUTTER_E_INVALID, "max_per_address must be >= 1 (hosts admitted per address)");
  if (per_prefix < per_address)
    throw butter::Error(BUTTER_E_INVALID,
                        "max_per_prefix must be >= max_per_address (a /24 or /48 holds its addresses)");
  if (established < 0) throw butter::Error(BUTTER_E_INVALID, "established_ms must be >= 0");
  AdmissionLimits l;
  l.per_address = static_cast<std::size_t>(per_address);
  l.per_prefix = static_cast<std::size_t>(per_prefix);
  l.loopback_exempt = config().get_bool("loopback_exempt");
  l.established_ms = static_cast<std::uint64_t>(established);
  return l;
}

void KnownHosts::read_overlay_config(MembershipConfig& c) {
  const auto watermarks = conns_.info();
  std::int64_t want = config().get_int("neighbours");
  std::int64_t max_in = config().get_int("max_inbound_neighbours");
  std::int64_t ex_min = config().get_int("exchange_min_ms");
  std::int64_t ex_max = config().get_int("exchange_ms");
  std::int64_t ex_size = config().get_int("exchange_size");
  std::int64_t tick = config().get_int("neighbour_ms");
  std::int64_t max_age = config().get_int("record_max_age_ms");
  double checks = config().get_float("record_checks_per_s");
  std::int64_t news_ttl = config().get_int("news_ttl_ms");
  if (news_ttl <= 0) throw butter::Error(BUTTER_E_INVALID, "news_ttl_ms must be > 0");
  if (!(checks > 0 && checks <= 1e6)) throw butter::Error(BUTTER_E_INVALID, "record_checks_per_s must be in (0, 1e6]");
  if (want < 0 || max_in < 0)
    throw butter::Error(BUTTER_E_INVALID, "neighbours and max_inbound_neighbours must be >= 0");
  if (ex_min <= 0 || ex_max < ex_min) throw butter::Error(BUTTER_E_INVALID, "need 0 < exchange_min_ms <= exchange_ms");
  if (ex_size < 1 || ex_size > static_cast<std::int64_t>(kMaxExchangeRecords))
    throw butter::Error(BUTTER_E_INVALID, "exchange_size must be 1.." + std::to_string(kMaxExchangeRecords));
  if (tick <= 0 || max_age < 60000)
    throw butter::Error(BUTTER_E_INVALID, "neighbour_ms > 0, record_max_age_ms >= 60000");
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
  neighbour_period_ = std::chrono::milliseconds(tick);
  c.record_max_age_ms = static_cast<std::uint64_t>(max_age);
  c.news_ttl_ms = static_cast<std::uint64_t>(news_ttl);
  c.record_checks_per_s = checks;
  std::int64_t fanout = config().get_int("news_fanout");
  std::int64_t per_min = config().get_int("news_per_min");
  if (fanout < 1 || fanout > 64)
    throw butter::Error(BUTTER_E_INVALID, "news_fanout must be 1..64 (peers each news item is passed to)");
  if (per_min < 1 || per_min > 6000)
    throw butter::Error(BUTTER_E_INVALID, "news_per_min must be 1..6000 (news records sent per minute)");
  c.rumour.fanout = static_cast<std::size_t>(fanout);
  c.rumour.news_per_min = static_cast<std::size_t>(per_min);
}

}  // namespace butter::knownhosts
