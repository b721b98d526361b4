// The descriptor of butter.storage.pcg (see descriptor.hpp).
#include "descriptor.hpp"

#include "pcg_plugin.hpp"

namespace butter::pcg {

namespace {
// The engine's own defaults (engine.hpp) are the schema's: each default is written once, and the
// engine's unit tests, simulations and the churn bench run with the same values. The plugin's
// init reads every key without a default of its own, so a value absent from the manifest is the
// one declared here (the host serves it; the SDK's getter reads it from this descriptor where a
// host does not, as the test fakes).
const Config kDefaults{};
constexpr std::int64_t kWeekMs = 7LL * 86400000;
}  // namespace

butter::Descriptor pcg_descriptor() {
  return butter::Descriptor{
      .id = "butter.storage.pcg",
      .name = "PCG storage",
      .vendor = "Butter",
      .version = "1.0.0",
      .description = "fault-tolerant object storage in Peer Content Groups (/butter/pcg/1)",
      .provides = {BUTTER_IFACE_STORAGE, BUTTER_IFACE_STORAGE_V2, BUTTER_IFACE_STORAGE_V3, BUTTER_IFACE_STORAGE_QUOTA},
      .required = {},
      .optional = {BUTTER_IFACE_PEERS, BUTTER_IFACE_SEARCH},
      .config = {
          butter::config_int("replicas", kDefaults.r).range(1, 32).describe("group size r"),
          butter::config_int("heartbeat_ms", kDefaults.heartbeat_ms)
              .range(1, 3600000)
              .unit("ms")
              .describe("heartbeat interval between members"),
          butter::config_int("miss_limit", kDefaults.miss_limit)
              .range(1, 1000)
              .unit("heartbeats")
              .describe("heartbeats a member may miss before it is dropped"),
          butter::config_float("jitter", kDefaults.jitter)
              .range(0, 0.9)
              .describe("heartbeat jitter, share of the interval"),
          butter::config_int("block_size", kDefaults.block_size)
              .range(butter::pcg::kMinBlockSize, butter::pcg::kMaxBlockSize)
              .unit("bytes")
              .describe("bytes per block"),
          butter::config_int("request_timeout_ms", kDefaults.request_timeout_ms)
              .range(1, 600000)
              .unit("ms")
              .describe("recruit ack, block fetch and locate timeout"),
          butter::config_int("put_timeout_ms", kDefaults.put_timeout_ms)
              .range(1, 3600000)
              .unit("ms")
              .describe("PUT_DONE at the latest"),
          butter::config_int("get_timeout_ms", kDefaults.get_timeout_ms)
              .range(1, 3600000)
              .unit("ms")
              .describe("GET_DONE at the latest"),
          butter::config_int("complete_timeout_ms", kDefaults.complete_timeout_ms)
              .range(1, 86400000)
              .unit("ms")
              .describe("a recruit holds every block by then"),
          butter::config_int("min_transfer_bytes_per_s", kDefaults.min_transfer_bytes_per_s)
              .range(std::int64_t{1}, std::int64_t{1} << 40)
              .unit("bytes/s")
              .describe("slowest transfer waited for: a recruit's fill, a put's result and a whole-block proof get "
                        "their bytes at this rate on top of their timeout"),
          butter::config_int("departed_ms", kDefaults.departed_ms)
              .range(std::int64_t{1}, kWeekMs)
              .unit("ms")
              .describe("removed members are still sent heartbeats this long, so that groups split by a partition "
                        "meet and merge"),
          butter::config_int("audit_ms", kDefaults.audit_ms)
              .range(std::int64_t{1}, kWeekMs)
              .unit("ms")
              .describe("each proven member is audited about this often (+- jitter)"),
          butter::config_int("audit_per_tick", kDefaults.audit_per_tick)
              .range(1, 100000)
              .describe("new audits per tick, all groups"),
          butter::config_int("answer_bytes_per_s", kDefaults.answer_bytes_per_s)
              .range(std::int64_t{1}, std::int64_t{1} << 40)
              .unit("bytes/s")
              .describe("bytes of challenges answered per peer and second"),
          butter::config_int("stream_per_member", kDefaults.stream_per_member)
              .range(std::uint32_t{1}, butter::pcg::Engine::kMaxStreamWindow)
              .describe("block requests in flight to one member for one streamed read"),
          butter::config_int("stream_idle_ms", kDefaults.stream_idle_ms)
              .range(1, 3600000)
              .unit("ms")
              .describe("a streamed read with no block arriving for this long (not waiting on its consumer) ends "
                        "with a timeout"),
          butter::config_int("stream_buffer_bytes", kDefaults.stream_buffer_bytes)
              .min(0)
              .unit("bytes")
              .describe("what all streamed reads together may buffer; 0 = the node's memory budget / 8, at least two "
                        "of the largest blocks"),
          butter::config_int("put_idle_ms", kDefaults.put_idle_ms)
              .range(1, 86400000)
              .unit("ms")
              .describe("a streamed put with no write for this long is aborted and its reserved bytes freed"),
          butter::config_int("serve_bytes_per_s", kDefaults.serve_bytes_per_s)
              .range(std::int64_t{1}, std::int64_t{1} << 40)
              .unit("bytes/s")
              .describe("bytes of blocks, LOCATED answers (manifest, view) and views sent back served per second to "
                        "each peer outside the object's group"),
          butter::config_int("locate_fanout", 8).range(1, 256).describe("known hosts asked 'who holds X' per get"),
          butter::config_float("memory_share", 0.5)
              .range(0, 1)
              .describe("share of the node's memory budget for objects (> 0)"),
          butter::config_int("capacity_bytes", 0)
              .min(0)
              .unit("bytes")
              .describe("storage budget; 0 = memory_share of the memory budget"),
          butter::config_int("peer_quota_bytes", kDefaults.peer_quota_bytes)
              .min(0)
              .unit("bytes")
              .describe("bytes held or reserved here for one peer that recruited this node (at most the capacity; 0 "
                        "= capacity / 8)"),
          butter::config_int("reservation_idle_ms", kDefaults.reservation_idle_ms)
              .range(1, 3600000)
              .unit("ms")
              .describe("an unfinished recruit with no block for this long releases its reservation"),
          // No schema default: it follows the node (on when the node has a data dir).
          butter::config_bool("persist").describe(
              "keep objects in <data dir>/pcg.sqlite (default: on when the node has a data dir)"),
          butter::config_bool("loopback_exempt", kDefaults.placement_loopback_exempt)
              .describe("replica placement does not limit loopback addresses (true: local tests and demos)"),
      }};
}

}  // namespace butter::pcg
