// nat-ambassador's exported descriptor: the config schema, each default read from the struct
// that holds the value (reachability.hpp, relay.hpp, upgrade.hpp, nat_plugin.hpp).
#include "nat_plugin.hpp"

#include <butter/iface/peers.h>

namespace {
// The concerns' own defaults (reachability.hpp, relay.hpp, upgrade.hpp) and the plugin's
// (nat_plugin.hpp) are the schema's: each default is written once, and the unit tests run with the
// same values.
const butter::nat::ReachabilityConfig kReach{};
const butter::nat::Limits kLimits{};
const butter::nat::Capture kCapture{};
const butter::nat::PunchConfig kPunch{};
const butter::nat::PluginSettings kPlugin{};
}  // namespace

BUTTER_PLUGIN(
    butter::nat::NatAmbassador,
    butter::Descriptor{
        .id = "butter.nat.ambassador",
        .name = "NAT traversal: reachability and ambassadors",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "Detects whether this node is reachable; relays for private nodes as an ambassador "
                       "and, when private, keeps an ambassador and a relay:// endpoint",
        .optional = {BUTTER_IFACE_PEERS},
        .config = {
            butter::config_string("mode", kReach.mode)
                .max_len(16)
                .describe("auto (dial-back checks), public or private"),
            butter::config_bool("ambassador", kLimits.serve).describe("serve as an ambassador when public"),
            butter::config_int("max_clients", kLimits.max_clients)
                .range(0, 1000000)
                .describe("private nodes served at once"),
            butter::config_int("max_relay_bytes", kLimits.max_relay_bytes)
                .min(0)
                .unit("bytes")
                .describe("bytes per relayed connection, both ways; 0 = no limit"),
            butter::config_int("max_relay_ms", kLimits.max_relay_ms)
                .min(0)
                .unit("ms")
                .describe("lifetime of a relayed connection; 0 = no limit"),
            butter::config_int("relay_window_bytes", kLimits.window)
                .range(static_cast<std::int64_t>(butter::nat::kMinWindow),
                       static_cast<std::int64_t>(butter::nat::kMaxWindow))
                .unit("bytes")
                .describe("bytes a relayed connection's far end may send ahead of what this node took"),
            butter::config_int("max_circuits_per_client", kLimits.max_circuits_per_client)
                .range(1, 4096)
                .describe("relayed connections at once to one private node served (as an ambassador)"),
            butter::config_int("quorum", kReach.quorum)
                .range(1, 16)
                .describe("distinct peers that must agree on a verdict"),
            butter::config_int("probes", kReach.probes).range(1, 16).describe("peers asked per check"),
            butter::config_int("check_fast_ms", kReach.check_fast.count())
                .min(1)
                .unit("ms")
                .describe("check period while undecided"),
            butter::config_int("check_ms", kReach.check_slow.count())
                .min(1)
                .unit("ms")
                .describe("check period once decided"),
            butter::config_int("dialback_timeout_ms", kReach.dialback_timeout.count())
                .min(1)
                .unit("ms")
                .describe("deadline of one dial-back connect"),
            butter::config_int("keepalive_ms", kPlugin.keepalive.count())
                .min(1)
                .unit("ms")
                .describe("ambassador registration refresh"),
            butter::config_int("request_timeout_ms", kPlugin.request_timeout.count())
                .min(1)
                .unit("ms")
                .describe("deadline of relay and nat requests"),
            butter::config_int("status_ms", kPlugin.status_every.count())
                .min(1)
                .unit("ms")
                .describe("period of the check for a changed status (sent to every peer when it changes)"),
            butter::config_int("debug_capture_bytes", kCapture.max)
                .range(0, 16 * 1024 * 1024)
                .unit("bytes")
                .describe("DEBUG: keep the first N relayed bytes for GET /nat/capture"),
            butter::config_bool("punch", kPunch.enabled)
                .describe("try to replace relayed connections by direct ones (hole punching)"),
            butter::config_int("observed_quorum", kPlugin.observed_quorum)
                .range(1, 16)
                .describe("distinct peers that must report a public address before it is punched at"),
            butter::config_int("punch_window_ms", kPunch.window.count())
                .range(1, 60000)
                .unit("ms")
                .describe("how long one punch keeps trying"),
            butter::config_int("punch_backoff_ms", kPunch.backoff.count())
                .min(1)
                .unit("ms")
                .describe("wait after a failed punch, doubled each time up to 60 s"),
            butter::config_int("punch_attempts", kPunch.attempts_max)
                .range(1, 100)
                .describe("punches tried per relayed peer before it stays relayed"),
            butter::config_int("punch_spread_sockets", kPunch.spread_sockets)
                .range(0, 256)
                .describe("per punch, more sockets from distinct local ports to the peer's public address, for "
                          "random-mapping NATs; only to an IP the circuit's ambassador vouches for"),
            butter::config_int("punch_spread_guesses", kPunch.spread_guesses)
                .range(0, 256)
                .describe("per punch, SYNs from the listen port to random ports of the peer's public IP, for "
                          "random-mapping NATs; only to an IP the circuit's ambassador vouches for"),
            butter::config_int("punch_hard_sockets", kPunch.hard_sockets)
                .range(0, 256)
                .describe("sockets a punch opens to the peer's public address when this node's NAT varies its "
                          "ports and the peer's keeps them (the birthday attempt; 0: off)"),
            butter::config_int("punch_hard_guesses", kPunch.hard_guesses)
                .range(0, 256)
                .describe("SYNs a punch sends to random ports of the peer's public IP when the peer's NAT "
                          "varies its ports and this node's keeps them (the birthday attempt; 0: off)"),
            butter::config_int("upgrade_ms", kPunch.every.count())
                .min(1)
                .unit("ms")
                .describe("period of the check for relayed peers to upgrade"),
        }});
