// The exported entry point and descriptor of discovery-multicast: its config schema holds every
// key's default and range (Discovery::init reads them through it).
#include "discovery_plugin.hpp"

#include <butter/iface/peers.h>

namespace {
// The plugin's defaults (discovery_plugin.hpp) and the datagram budget's (datagram_budget.hpp) are the
// schema's: each default is written once.
const butter::discovery::Settings kDefaults{};
const butter::discovery::BudgetLimits kBudget{};
}  // namespace

BUTTER_PLUGIN(
    butter::discovery::Discovery,
    butter::Descriptor{
        .id = "butter.discovery.multicast",
        .name = "LAN discovery by multicast",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "Finds peers on the LAN by UDP multicast and hands them to the known-host cache",
        .required = {BUTTER_IFACE_PEERS},
        .config = {
            butter::config_string("group", kDefaults.group).max_len(64).describe("IPv4 multicast group"),
            butter::config_int("port", kDefaults.port).range(1, 65535).describe("UDP port of the group"),
            butter::config_string("interface", kDefaults.interface)
                .max_len(64)
                .describe("IPv4 address of the interface to use (empty: the system's choice)"),
            butter::config_int("ttl", kDefaults.ttl).range(1, 255).describe("multicast TTL; 1 keeps it on the LAN"),
            butter::config_int("fast_ms", kDefaults.fast_ms).min(1).unit("ms").describe("ping interval while cold"),
            butter::config_int("slow_ms", kDefaults.slow_ms)
                .min(1)
                .unit("ms")
                .describe("ping interval once settled (>= fast_ms)"),
            butter::config_float("answers_per_s", kDefaults.answers_per_s)
                .range(0, 1e6)
                .unit("1/s")
                .describe("unicast answers per second before one multicast announce replaces them (> 0)"),
            butter::config_int("quiet_ms", kDefaults.quiet_ms)
                .min(1)
                .unit("ms")
                .describe("a source address is answered at most once per this period"),
            butter::config_bool("loopback", kDefaults.loopback)
                .describe("receive multicast from this host (several nodes per host)"),
            butter::config_float("max_datagrams_per_second", kBudget.per_second)
                .range(0, 1e6)
                .unit("1/s")
                .describe("datagrams processed per second from all senders together, burst twice that; the rest are "
                          "shed (> 0)"),
            butter::config_float("max_datagrams_per_second_per_sender", kBudget.per_sender_per_second)
                .range(0, 1e6)
                .unit("1/s")
                .describe("datagrams processed per second from one sender (source address and port), burst twice that "
                          "(> 0, <= max_datagrams_per_second)"),
            butter::config_int("max_datagram_senders", kBudget.max_senders)
                .range(1, 1000000)
                .describe("senders whose rate is tracked at once; the least recent is forgotten"),
        }});
