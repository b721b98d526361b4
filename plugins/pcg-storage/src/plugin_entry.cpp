// The exported entry point and the descriptor of butter.storage.pcg.
#include "pcg_plugin.hpp"

using butter::ConfigType;

BUTTER_PLUGIN(butter::pcg::PcgStorage,
              butter::Descriptor{
                  .id = "butter.storage.pcg",
                  .name = "PCG storage",
                  .vendor = "Butter",
                  .version = "1.0.0",
                  .description = "fault-tolerant object storage in Peer Content Groups (/butter/pcg/1)",
                  .provides = {BUTTER_IFACE_STORAGE, BUTTER_IFACE_STORAGE_V2, BUTTER_IFACE_STORAGE_V3, BUTTER_IFACE_STORAGE_QUOTA},
                  .required = {},
                  .optional = {BUTTER_IFACE_PEERS, BUTTER_IFACE_SEARCH},
                  .config = {
                      {"replicas", ConfigType::Int, false, "group size r (default 3)"},
                      {"heartbeat_ms", ConfigType::Int, false, "heartbeat interval between members (default 1000)"},
                      {"miss_limit", ConfigType::Int, false, "heartbeats a member may miss before it is dropped (default 3)"},
                      {"jitter", ConfigType::Float, false, "heartbeat jitter, share of the interval (default 0.2)"},
                      {"block_size", ConfigType::Int, false, "bytes per block (default 65536)"},
                      {"request_timeout_ms", ConfigType::Int, false, "recruit ack, block fetch and locate timeout (default 2000)"},
                      {"put_timeout_ms", ConfigType::Int, false, "PUT_DONE at the latest (default 10000)"},
                      {"get_timeout_ms", ConfigType::Int, false, "GET_DONE at the latest (default 10000)"},
                      {"complete_timeout_ms", ConfigType::Int, false, "a recruit holds every block by then (default 60000)"},
                      {"departed_ms", ConfigType::Int, false, "removed members are still sent heartbeats this long, so that groups split by a partition meet and merge (default 600000)"},
                      {"stream_per_member", ConfigType::Int, false, "block requests in flight to one member for one streamed read (default 4)"},
                      {"stream_idle_ms", ConfigType::Int, false, "a streamed read with no block arriving for this long (not waiting on its consumer) ends with a timeout (default 10000)"},
                      {"locate_fanout", ConfigType::Int, false, "known hosts asked 'who holds X' per get (default 8)"},
                      {"memory_share", ConfigType::Float, false, "share of the node's memory budget for objects (default 0.5)"},
                      {"capacity_bytes", ConfigType::Int, false, "storage budget in bytes; overrides memory_share"},
                      {"peer_quota_bytes", ConfigType::Int, false, "bytes held or reserved here for one peer that recruited this node (default: capacity / 8)"},
                      {"reservation_idle_ms", ConfigType::Int, false, "an unfinished recruit with no block for this long releases its reservation (default 10000)"},
                      {"persist", ConfigType::Bool, false, "keep objects in <data dir>/pcg.sqlite (default: on when the node has a data dir)"},
                      {"loopback_exempt", ConfigType::Bool, false, "replica placement does not limit loopback addresses (default true: local tests and demos)"},
                  }});
