// The exported entry point and descriptor of knownhosts-quality.
#include "knownhosts.hpp"
#include "knownhosts_env.hpp"  // KnownHosts owns one: complete where it is made

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
            butter::config_int("capacity", 0).min(0).describe("hosts kept; 0 = from the memory budget"),
            butter::config_float("memory_share", 0.01)
                .range(0, 1)
                .describe("share of the memory budget for the cache (> 0)"),
            butter::config_int("refresh_ms", 30000).min(1).unit("ms").describe("period of quality refresh"),
            butter::config_int("timeout_ms", 2000).min(1).unit("ms").describe("deadline of a quality request"),
            butter::config_int("max_failures", 3).min(1).describe("failed probes before eviction"),
            butter::config_int("probation_max", 256).min(1).describe("candidates awaiting a probe"),
            butter::config_int("probes_per_refresh", 1).min(1).describe("connected members probed per refresh"),
            butter::config_int("neighbours", 0)
                .min(0)
                .describe("overlay neighbours this node chooses; 0 = the host's connections_low_water"),
            butter::config_int("max_inbound_neighbours", 0)
                .min(0)
                .describe("neighbours accepted from others; 0 = high_water - neighbours"),
            butter::config_int("neighbour_ms", 1000).min(1).unit("ms").describe("period of the neighbour check"),
            butter::config_int("exchange_min_ms", 1000)
                .min(1)
                .unit("ms")
                .describe("shortest peer-exchange period, while exchanges bring news"),
            butter::config_int("exchange_ms", 60000)
                .min(1)
                .unit("ms")
                .describe("longest peer-exchange period, once quiet (>= exchange_min_ms)"),
            butter::config_int("exchange_size", 8)
                .range(std::size_t{1}, butter::knownhosts::kMaxExchangeRecords)
                .describe("signed records per exchange"),
            butter::config_int("record_max_age_ms", 2 * 3600 * 1000)
                .min(60000)
                .unit("ms")
                .describe("peer records older than this are refused"),
            butter::config_int("max_per_address", 2).min(1).describe("hosts admitted per address (IPv6: per /64)"),
            butter::config_int("max_per_prefix", 8)
                .min(1)
                .describe("hosts admitted per /24 (IPv6: per /48), >= max_per_address"),
            butter::config_bool("loopback_exempt", true)
                .describe("loopback addresses are not bounded (true: local tests and demos)"),
            butter::config_int("established_ms", 60000)
                .min(0)
                .unit("ms")
                .describe("a host observed this long keeps its place and its claims count; 0 = claims count at once, "
                          "nobody kept"),
            butter::config_int("news_ttl_ms", 30000)
                .min(1)
                .unit("ms")
                .describe("a new or moved record is passed on for this long after it was learned"),
            butter::config_float("record_checks_per_s", 2.0)
                .range(0, 1e6)
                .unit("1/s")
                .describe("signature checks per second spent on records of third parties (> 0)"),
            butter::config_int("news_fanout", 3)
                .range(1, 64)
                .describe("peers each news item (a new or moved record) is passed on to"),
            butter::config_int("news_per_min", 6)
                .range(1, 6000)
                .unit("1/min")
                .describe("news records this node sends per minute at most"),
        }});
