// butter.punch/1 and /2: hole punching (Transport::punch, with a spread for /2) and how each peer is reached. The
// completion holds the calling instance weakly and is dropped when the instance is no longer active, so a stopped or
// swapped plugin is never called back.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <butter/ext/punch.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace butter::host {
namespace {

constexpr std::uint32_t kMaxWindowMs = 60000;

butter_status punch_with(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                         uint32_t window_ms, Transport::PunchSpread spread, butter_punch_done_fn fn, void* user) {
  if (!fn || window_ms == 0 || window_ms > kMaxWindowMs || (n > 0 && !endpoints)) return BUTTER_E_INVALID;
  auto id = node_id_of(node_id);
  if (!id) return BUTTER_E_INVALID;
  return guarded<Caller::Transport>(host, "punch.punch", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    std::vector<std::string> eps;
    for (uint32_t i = 0; i < n && i < 16; ++i) eps.push_back(copy_str(endpoints[i]));
    std::weak_ptr<PluginInstance> weak = inst.weak_from_this();
    // Transport::punch never calls back inside punch(): the ABI's promise holds as it is.
    inst.core().transport->punch(
        *id, eps, std::chrono::milliseconds(window_ms),
        [weak, fn, user](Error e) {
          auto owner = weak.lock();
          if (!owner || !owner->active()) return;
          const butter_str reason{e.message.data(), e.message.size()};
          owner->invoke("punch callback", [&] { fn(user, e.code, reason); });
        },
        spread);
    return BUTTER_OK;
  });
}

butter_status punch_punch(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                          uint32_t window_ms, butter_punch_done_fn fn, void* user) {
  return punch_with(host, node_id, endpoints, n, window_ms, {}, fn, user);
}

butter_status punch_spread(const butter_host* host, butter_str node_id, const butter_str* endpoints, uint32_t n,
                           const butter_punch_options* opts, butter_punch_done_fn fn, void* user) {
  if (!opts || opts->struct_size < offsetof(butter_punch_options, local_sockets)) return BUTTER_E_INVALID;
  butter_punch_options o{};
  std::memcpy(&o, opts, std::min<std::size_t>(opts->struct_size, sizeof o));
  Transport::PunchSpread spread;
  spread.local_sockets = std::min(o.local_sockets, Transport::kMaxPunchLocalSockets);
  spread.remote_guesses = std::min(o.remote_guesses, Transport::kMaxPunchGuesses);
  return punch_with(host, node_id, endpoints, n, o.window_ms, spread, fn, user);
}

int32_t how_code(const std::string& how) {
  if (how == "dialled") return BUTTER_PATH_DIALLED;
  if (how == "accepted") return BUTTER_PATH_ACCEPTED;
  if (how == "relayed-out") return BUTTER_PATH_RELAYED_OUT;
  if (how == "relayed-in") return BUTTER_PATH_RELAYED_IN;
  if (how == "punched") return BUTTER_PATH_PUNCHED;
  return BUTTER_PATH_NONE;
}

butter_status punch_path(const butter_host* host, butter_str node_id, butter_punch_path* out) {
  if (!out || out->struct_size < sizeof(uint32_t)) return BUTTER_E_INVALID;
  auto id = node_id_of(node_id);
  if (!id) return BUTTER_E_INVALID;
  return guarded<Caller::Transport>(host, "punch.path", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    butter_punch_path full{};
    full.struct_size = sizeof full;
    for (const auto& p : inst.core().transport->peers())
      if (p.id == *id) {
        full.how = how_code(p.how);
        full.relayed = p.relayed ? 1 : 0;
      }
    const uint32_t size = std::min<uint32_t>(out->struct_size, sizeof full);
    std::memcpy(reinterpret_cast<char*>(out) + sizeof(uint32_t),
                reinterpret_cast<const char*>(&full) + sizeof(uint32_t), size - sizeof(uint32_t));
    return BUTTER_OK;
  });
}

const butter_punch_v1 kPunch = {punch_punch, punch_path};
const butter_punch_v2 kPunch2 = {punch_punch, punch_path, punch_spread};

}  // namespace

const butter_punch_v1* punch_extension() { return &kPunch; }
const butter_punch_v2* punch2_extension() { return &kPunch2; }

const ServiceModule& punch_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_PUNCH, &kPunch}, {BUTTER_EXT_PUNCH2, &kPunch2}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
