// The exported entry point and descriptor of knownhosts-quality.
#include "knownhosts.hpp"

BUTTER_PLUGIN(butter::knownhosts::KnownHosts,
              butter::Descriptor{
                  .id = "butter.knownhosts.quality",
                  .name = "Known hosts by quality",
                  .vendor = "Butter",
                  .version = "1.0.0",
                  .description = "Known-host cache scored by uptime, free storage and hosts known, kept diverse",
                  .provides = {BUTTER_IFACE_PEERS},
                  .optional = {BUTTER_IFACE_STORAGE_QUOTA},
                  .config = {
                      {"capacity", butter::ConfigType::Int, false, "hosts kept; 0 = from the memory budget (default)"},
                      {"memory_share", butter::ConfigType::Float, false, "share of the memory budget for the cache (default 0.01)"},
                      {"refresh_ms", butter::ConfigType::Int, false, "period of quality refresh (default 10000)"},
                      {"timeout_ms", butter::ConfigType::Int, false, "deadline of a quality request (default 2000)"},
                      {"max_failures", butter::ConfigType::Int, false, "failed probes before eviction (default 3)"},
                      {"probation_max", butter::ConfigType::Int, false, "candidates awaiting a probe (default 256)"},
                  }});
