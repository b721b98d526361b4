// The exported entry point and descriptor of ir-dbfs.
#include "dbfs_plugin.hpp"

namespace {
// The engine's own defaults (engine.hpp, limits.hpp, standing.hpp) are the schema's: each default
// is written once, and the engine's unit tests and the bench run with the same values.
const butter::dbfs::EngineConfig kDefaults{};
}  // namespace

BUTTER_PLUGIN(
    butter::dbfs::DbfsPlugin,
    butter::Descriptor{
        .id = "butter.ir.dbfs",
        .name = "Search by directed BFS",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "butter.search/1: finds objects by id or keywords with directed breadth-first search",
        .provides = {BUTTER_IFACE_SEARCH},
        .optional = {BUTTER_IFACE_PEERS, BUTTER_IFACE_STORAGE, BUTTER_IFACE_STORAGE_V2},
        .config = {
            butter::config_string("method", "directed")
                .max_len(16)
                .describe("directed, flood or random (half the neighbours)"),
            butter::config_string("heuristic", "results")
                .max_len(16)
                .describe("first-hop choice: results, time, hops or random"),
            butter::config_int("neighbours", 4).range(1, 64).describe("outbound neighbours taken from butter.peers/1"),
            butter::config_int("max_inbound", kDefaults.max_inbound)
                .range(0, 256)
                .describe("peers that chose us kept as neighbours"),
            butter::config_int("source_fanout", kDefaults.source_fanout)
                .range(1, 64)
                .describe("directed: neighbours the source asks"),
            butter::config_bool("deepening", kDefaults.deepening).describe("directed: iterative deepening"),
            butter::config_int("ttl_start", kDefaults.ttl_start)
                .range(1, 32)
                .unit("hops")
                .describe("first TTL of a deepening search"),
            butter::config_int("ttl_step", kDefaults.ttl_step)
                .range(1, 32)
                .unit("hops")
                .describe("TTL added per deepening step"),
            butter::config_bool("adaptive_start", kDefaults.adaptive_start)
                .describe("start at the hops of past first hits when deeper"),
            butter::config_int("default_ttl", kDefaults.default_ttl)
                .range(1, 32)
                .unit("hops")
                .describe("TTL of a search that gives none (at most max_ttl)"),
            butter::config_int("max_ttl", kDefaults.limits.max_ttl)
                .range(1, 32)
                .unit("hops")
                .describe("queries with a larger TTL are dropped"),
            butter::config_int("max_fanout", kDefaults.limits.max_fanout)
                .range(1, 256)
                .describe("neighbours one query is forwarded to at most"),
            butter::config_int("max_terms", kDefaults.limits.max_terms)
                .range(std::size_t{1}, butter::dbfs::kMaxTerms)
                .describe("terms per query"),
            butter::config_int("max_term_len", kDefaults.limits.max_term_len)
                .range(std::size_t{1}, butter::dbfs::kMaxTermLen)
                .unit("bytes")
                .describe("bytes per term"),
            butter::config_int("max_query_bytes", kDefaults.limits.max_query_bytes)
                .range(std::size_t{1}, butter::dbfs::kMaxMessageBytes)
                .unit("bytes")
                .describe("encoded query size"),
            butter::config_int("max_results", kDefaults.limits.max_results)
                .range(1, 65535)
                .describe("results one query may ask for"),
            butter::config_int("default_max_results", kDefaults.default_max_results)
                .range(1, 65535)
                .describe("results of a search that gives none (at most max_results)"),
            butter::config_int("default_timeout_ms", kDefaults.default_timeout_ms)
                .range(1, 600000)
                .unit("ms")
                .describe("DONE at the latest"),
            butter::config_float("rate_per_s", kDefaults.limits.rate_per_s)
                .min(0)
                .unit("1/s")
                .describe("queries accepted per second from one peer (> 0)"),
            butter::config_float("burst", kDefaults.limits.burst).min(1).unit("queries").describe("and in one burst"),
            butter::config_float("address_rate_per_s", kDefaults.limits.address_rate_per_s)
                .min(0)
                .unit("1/s")
                .describe("queries accepted per second from one address, IPv6 /64 (> 0)"),
            butter::config_float("address_burst", kDefaults.limits.address_burst)
                .min(1)
                .unit("queries")
                .describe("and in one burst"),
            butter::config_float("prefix_rate_per_s", kDefaults.limits.prefix_rate_per_s)
                .min(0)
                .unit("1/s")
                .describe("queries accepted per second from one IPv4 /24 or IPv6 /48 (> 0)"),
            butter::config_float("prefix_burst", kDefaults.limits.prefix_burst)
                .min(1)
                .unit("queries")
                .describe("and in one burst"),
            butter::config_int("rate_peers", kDefaults.limits.rate_peers)
                .range(1, 1 << 20)
                .describe("peers the query rate limiter keeps buckets for"),
            butter::config_int("rate_addresses", kDefaults.limits.rate_addresses)
                .range(1, 1 << 20)
                .describe("addresses and prefixes it keeps buckets for, each"),
            butter::config_int("max_budget", kDefaults.limits.max_budget)
                .range(1, 65535)
                .unit("messages")
                .describe("messages one query may cause in the network; incoming budgets are clamped to it"),
            butter::config_int("legacy_budget", kDefaults.limits.legacy_budget)
                .range(1, 65535)
                .unit("messages")
                .describe("budget of a version-1 query, which carries none (at most max_budget)"),
            butter::config_int("max_hit_messages", kDefaults.limits.max_hit_messages)
                .range(1, 65535)
                .unit("messages")
                .describe("HITS messages relayed for one query at most"),
            butter::config_float("hop_ms", kDefaults.hop_ms)
                .range(0, 10000)
                .unit("ms")
                .describe("first estimate of one hop's latency (> 0)"),
            butter::config_int("min_step_ms", kDefaults.min_step_ms)
                .range(1, 600000)
                .unit("ms")
                .describe("shortest wait of a deepening step"),
            butter::config_int("seen_max", kDefaults.seen_max).range(1, 1 << 22).describe("query ids remembered"),
            butter::config_int("seen_age_ms", kDefaults.seen_age_ms)
                .range(1, 3600000)
                .unit("ms")
                .describe("how long a query id is remembered"),
            butter::config_int("refresh_ms", 10000)
                .range(1, 3600000)
                .unit("ms")
                .describe("neighbour and index refresh period"),
            butter::config_int("index_max", 100000).range(1, 100000000).describe("objects in the local index"),
            butter::config_int("max_inbound_per_address", kDefaults.max_inbound_per_address)
                .range(0, 256)
                .describe("inbound neighbours one non-loopback address may hold (0: no bound)"),
            butter::config_bool("verify", kDefaults.verify).describe("deliver only hits whose holder proved them"),
            butter::config_int("verify_in_flight", kDefaults.verify_in_flight)
                .range(1, 64)
                .describe("proofs asked at once per search"),
            butter::config_int("verify_queue", kDefaults.verify_queue)
                .range(1, 1024)
                .describe("hits of one search waiting for a proof"),
            butter::config_int("verify_timeout_ms", kDefaults.verify_timeout_ms)
                .range(1, 600000)
                .unit("ms")
                .describe("deadline of one proof"),
            butter::config_int("max_verifications", kDefaults.max_verifications)
                .range(1, 65536)
                .describe("proofs awaited at once, all searches"),
            butter::config_int("max_proofs_preparing", kDefaults.max_proofs_preparing)
                .range(1, 1024)
                .describe("PROVEs answered at once, more get Busy"),
            butter::config_int("demote_after", kDefaults.standing.demote_after)
                .range(1, 1000)
                .describe("failed proofs (net of verified ones) that demote a node"),
            butter::config_int("block_after", kDefaults.standing.block_after)
                .range(1, 1000)
                .describe("own lies (failed own challenges, net of verified hits) that block a node"),
            butter::config_int("block_ms", kDefaults.standing.block_ms)
                .range(1, 86400000)
                .unit("ms")
                .describe("how long a first block lasts"),
            butter::config_int("standing_max", kDefaults.standing.max_entries)
                .range(1, 1 << 20)
                .describe("node ids whose proof record is kept"),
        }});
