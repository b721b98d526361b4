// The exported entry point and descriptor of knownhosts-quality.
#include "knownhosts.hpp"
#include "knownhosts_env.hpp"  // KnownHosts owns one: complete where it is made

BUTTER_PLUGIN(butter::knownhosts::KnownHosts,
              butter::Descriptor{
                  .id = "butter.knownhosts.quality",
                  .name = "Known hosts by quality",
                  .vendor = "Butter",
                  .version = "1.1.0",
                  .description = "Known-host cache ranked by observed uptime (and free storage, hosts known once established), kept diverse and bounded per address and prefix; peer exchange of signed records and overlay neighbours",
                  .provides = {BUTTER_IFACE_PEERS},
                  .optional = {BUTTER_IFACE_STORAGE_QUOTA},
                  .config = {
                      {"capacity", butter::ConfigType::Int, false, "hosts kept; 0 = from the memory budget (default)"},
                      {"memory_share", butter::ConfigType::Float, false, "share of the memory budget for the cache (default 0.01)"},
                      {"refresh_ms", butter::ConfigType::Int, false, "period of quality refresh (default 30000)"},
                      {"timeout_ms", butter::ConfigType::Int, false, "deadline of a quality request (default 2000)"},
                      {"max_failures", butter::ConfigType::Int, false, "failed probes before eviction (default 3)"},
                      {"probation_max", butter::ConfigType::Int, false, "candidates awaiting a probe (default 256)"},
                      {"probes_per_refresh", butter::ConfigType::Int, false, "connected members probed per refresh (default 1)"},
                      {"neighbours", butter::ConfigType::Int, false, "overlay neighbours this node chooses; 0 = the host's connections_low_water (default)"},
                      {"max_inbound_neighbours", butter::ConfigType::Int, false, "neighbours accepted from others; 0 = high_water - neighbours (default)"},
                      {"neighbour_ms", butter::ConfigType::Int, false, "period of the neighbour check (default 1000)"},
                      {"exchange_min_ms", butter::ConfigType::Int, false, "shortest peer-exchange period, while exchanges bring news (default 1000)"},
                      {"exchange_ms", butter::ConfigType::Int, false, "longest peer-exchange period, once quiet (default 60000)"},
                      {"exchange_size", butter::ConfigType::Int, false, "signed records per exchange, 1..16 (default 8)"},
                      {"record_max_age_ms", butter::ConfigType::Int, false, "peer records older than this are refused (default 7200000)"},
                      {"max_per_address", butter::ConfigType::Int, false, "hosts admitted per address (IPv6: per /64), >= 1 (default 2)"},
                      {"max_per_prefix", butter::ConfigType::Int, false, "hosts admitted per /24 (IPv6: per /48), >= max_per_address (default 8)"},
                      {"loopback_exempt", butter::ConfigType::Bool, false, "loopback addresses are not bounded (default true: local tests and demos)"},
                      {"established_ms", butter::ConfigType::Int, false, "a host observed this long keeps its place and its claims count; 0 = claims count at once, nobody kept (default 60000)"},
                      {"news_ttl_ms", butter::ConfigType::Int, false, "a new or moved record is passed on for this long after it was learned (default 30000)"},
                      {"record_checks_per_s", butter::ConfigType::Float, false, "signature checks per second spent on records of third parties (default 2)"},
                      {"news_fanout", butter::ConfigType::Int, false, "peers each news item (a new or moved record) is passed on to, 1..64 (default 3)"},
                      {"news_per_min", butter::ConfigType::Int, false, "news records this node sends per minute at most, 1..6000 (default 6)"},
                  }});
