// The exported entry point and descriptor of ir-dbfs.
#include "dbfs_plugin.hpp"

using butter::ConfigType;

BUTTER_PLUGIN(butter::dbfs::DbfsPlugin,
              butter::Descriptor{
                  .id = "butter.ir.dbfs",
                  .name = "Search by directed BFS",
                  .vendor = "Butter",
                  .version = "1.0.0",
                  .description = "butter.search/1: finds objects by id or keywords with directed breadth-first search",
                  .provides = {BUTTER_IFACE_SEARCH},
                  .optional = {BUTTER_IFACE_PEERS, BUTTER_IFACE_STORAGE},
                  .config = {
                      {"method", ConfigType::String, false, "directed (default), flood or random (half the neighbours)"},
                      {"heuristic", ConfigType::String, false, "first-hop choice: results (default), time, hops, random"},
                      {"neighbours", ConfigType::Int, false, "outbound neighbours taken from butter.peers/1 (default 4)"},
                      {"max_inbound", ConfigType::Int, false, "peers that chose us kept as neighbours (default 8)"},
                      {"source_fanout", ConfigType::Int, false, "directed: neighbours the source asks (default 2)"},
                      {"deepening", ConfigType::Bool, false, "directed: iterative deepening (default true)"},
                      {"ttl_start", ConfigType::Int, false, "first TTL of a deepening search (default 3)"},
                      {"ttl_step", ConfigType::Int, false, "TTL added per deepening step (default 1)"},
                      {"adaptive_start", ConfigType::Bool, false, "start at the hops of past first hits when deeper (default true)"},
                      {"default_ttl", ConfigType::Int, false, "TTL of a search that gives none (default 7)"},
                      {"max_ttl", ConfigType::Int, false, "queries with a larger TTL are dropped (default 7)"},
                      {"max_fanout", ConfigType::Int, false, "neighbours one query is forwarded to at most (default 16)"},
                      {"max_terms", ConfigType::Int, false, "terms per query (default 8)"},
                      {"max_term_len", ConfigType::Int, false, "bytes per term (default 64)"},
                      {"max_query_bytes", ConfigType::Int, false, "encoded query size (default 1024)"},
                      {"max_results", ConfigType::Int, false, "results one query may ask for (default 256)"},
                      {"default_max_results", ConfigType::Int, false, "results of a search that gives none (default 16)"},
                      {"default_timeout_ms", ConfigType::Int, false, "DONE at the latest (default 10000)"},
                      {"rate_per_s", ConfigType::Float, false, "queries accepted per second from one peer (default 50)"},
                      {"burst", ConfigType::Float, false, "and in one burst (default 100)"},
                      {"hop_ms", ConfigType::Float, false, "first estimate of one hop's latency (default 50)"},
                      {"min_step_ms", ConfigType::Int, false, "shortest wait of a deepening step (default 100)"},
                      {"seen_max", ConfigType::Int, false, "query ids remembered (default 8192)"},
                      {"seen_age_ms", ConfigType::Int, false, "how long a query id is remembered (default 120000)"},
                      {"refresh_ms", ConfigType::Int, false, "neighbour and index refresh period (default 10000)"},
                      {"index_max", ConfigType::Int, false, "objects in the local index (default 100000)"},
                  }});
