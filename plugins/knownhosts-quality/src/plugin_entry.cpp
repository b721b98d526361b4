// The exported entry point and descriptor of knownhosts-quality.
#include "knownhosts_plugin.hpp"
#include "knownhosts_env.hpp"  // KnownHosts owns one: complete where it is made

namespace {
// The engine's defaults (membership_engine.hpp, quality_cache.hpp, rumour.hpp) and the plugin's
// (knownhosts_plugin.hpp) are the schema's: each default is written once, and the engine's unit tests
// and the overlay simulator run with the same values.
const butter::knownhosts::MembershipConfig kEngine{};
const butter::knownhosts::PluginSettings kPlugin{};
}  // namespace

BUTTER_PLUGIN(
    butter::knownhosts::KnownHosts,
    butter::Descriptor{
        .id = "butter.knownhosts.quality",
        .name = "Known hosts by quality",
        .vendor = "Butter",
        .version = "1.1.0",
        .description =
            "Known-host cache ranked by observed uptime (and free storage, hosts known once established), kept diverse "
            "and bounded per address and prefix; peer exchange of signed records and overlay neighbours",
        .provides = {BUTTER_IFACE_PEERS},
        .optional = {BUTTER_IFACE_STORAGE_QUOTA},
        .config = {
            butter::config_int("capacity", kPlugin.capacity).min(0).describe("hosts kept; 0 = from the memory budget"),
            butter::config_float("memory_share", kPlugin.memory_share)
                .range(0, 1)
                .describe("share of the memory budget for the cache (> 0)"),
            butter::config_int("refresh_ms", kPlugin.refresh_ms)
                .min(1)
                .unit("ms")
                .describe("period of quality refresh"),
            butter::config_int("timeout_ms", kPlugin.timeout_ms)
                .min(1)
                .unit("ms")
                .describe("deadline of a quality request"),
            butter::config_int("max_failures", kEngine.max_failures).min(1).describe("failed probes before eviction"),
            butter::config_int("probation_max", kEngine.probation_max).min(1).describe("candidates awaiting a probe"),
            butter::config_int("probes_per_refresh", kEngine.probes_per_refresh)
                .min(1)
                .describe("connected members probed per refresh"),
            butter::config_int("neighbours", kPlugin.neighbours)
                .min(0)
                .describe("overlay neighbours this node chooses; 0 = the host's connections_low_water"),
            butter::config_int("max_inbound_neighbours", kPlugin.max_inbound_neighbours)
                .min(0)
                .describe("neighbours accepted from others; 0 = high_water - neighbours"),
            butter::config_int("neighbour_ms", kPlugin.neighbour_ms)
                .min(1)
                .unit("ms")
                .describe("period of the neighbour check"),
            butter::config_int("exchange_min_ms", kEngine.exchange_min_ms)
                .min(1)
                .unit("ms")
                .describe("shortest peer-exchange period, while exchanges bring news"),
            butter::config_int("exchange_ms", kEngine.exchange_max_ms)
                .min(1)
                .unit("ms")
                .describe("longest peer-exchange period, once quiet (>= exchange_min_ms)"),
            butter::config_int("exchange_size", kEngine.exchange_size)
                .range(std::size_t{1}, butter::knownhosts::kMaxExchangeRecords)
                .describe("signed records per exchange"),
            butter::config_int("record_max_age_ms", kEngine.record_max_age_ms)
                .min(60000)
                .unit("ms")
                .describe("peer records older than this are refused"),
            butter::config_int("max_per_address", kEngine.admission.per_address)
                .min(1)
                .describe("hosts admitted per address (IPv6: per /64)"),
            butter::config_int("max_per_prefix", kEngine.admission.per_prefix)
                .min(1)
                .describe("hosts admitted per /24 (IPv6: per /48), >= max_per_address"),
            butter::config_bool("loopback_exempt", kEngine.admission.loopback_exempt)
                .describe("loopback addresses are not bounded (true: local tests and demos)"),
            butter::config_int("established_ms", kEngine.admission.established_ms)
                .min(0)
                .unit("ms")
                .describe("a host observed this long keeps its place and its claims count; 0 = claims count at once, "
                          "nobody kept"),
            butter::config_int("news_ttl_ms", kEngine.news_ttl_ms)
                .min(1)
                .unit("ms")
                .describe("a new or moved record is passed on for this long after it was learned"),
            butter::config_float("record_checks_per_s", kEngine.record_checks_per_s)
                .range(0, 1e6)
                .unit("1/s")
                .describe("signature checks per second spent on records of third parties (> 0)"),
            butter::config_int("news_fanout", kEngine.rumour.fanout)
                .range(1, 64)
                .describe("peers each news item (a new or moved record) is passed on to"),
            butter::config_int("news_per_min", kEngine.rumour.news_per_min)
                .range(1, 6000)
                .unit("1/min")
                .describe("news records this node sends per minute at most"),
        }});
