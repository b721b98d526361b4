// butter.identity/1: signatures with the node's Ed25519 key, which never leaves the host.
// Every signature is over "butter/sign/1" 0 context 0 message (domain separation, see
// sdk/include/butter/ext/identity.h), so a plugin cannot make the host sign a transport handshake
// hash or another plugin's record type.
#include "core/identity.hpp"
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <cstring>
#include <string_view>
#include <vector>

namespace butter::host {
namespace {

constexpr std::string_view kDomain = "butter/sign/1";
constexpr std::size_t kMaxContext = 255;

bool valid_context(butter_str context) {
  if (!context.data || context.len == 0 || context.len > kMaxContext) return false;
  return std::memchr(context.data, 0, context.len) == nullptr;
}

std::vector<std::uint8_t> signed_bytes(butter_str context, butter_bytes message) {
  const std::size_t msg_len = message.data ? message.len : 0;
  std::vector<std::uint8_t> out(kDomain.size() + 1 + context.len + 1 + msg_len, 0);
  std::uint8_t* p = out.data();
  std::memcpy(p, kDomain.data(), kDomain.size());
  p += kDomain.size() + 1;  // then a 0 separator
  std::memcpy(p, context.data, context.len);
  p += context.len + 1;  // then a 0 separator
  if (msg_len) std::memcpy(p, message.data, msg_len);
  return out;
}

bool valid_message(butter_bytes message) { return message.data || message.len == 0; }

// butter.identity/1 is [any-thread] and serves an inactive instance too. A handle without an
// instance answers as a node without a key does: BUTTER_E_UNAVAILABLE; bad arguments are refused
// before either.
constexpr Refusals kNoKey{.no_caller = BUTTER_E_UNAVAILABLE};

butter_status identity_public_key(const butter_host* host, uint8_t out[32]) {
  auto body = [&](PluginInstance& inst) -> butter_status {
    const Identity* id = inst.core().identity.get();
    if (!id) return BUTTER_E_UNAVAILABLE;
    const auto& bytes = id->id().bytes;
    std::memcpy(out, bytes.data(), bytes.size());
    return BUTTER_OK;
  };
  return guarded<Caller::AnyThread>(host, "identity.public_key", out != nullptr, kNoKey, BUTTER_E_INTERNAL, body);
}

butter_status identity_sign(const butter_host* host, butter_str context, butter_bytes message, uint8_t sig_out[64]) {
  const bool args_valid = sig_out && valid_context(context) && valid_message(message);
  // A throw can only be the signed bytes' allocation.
  auto body = [&](PluginInstance& inst) -> butter_status {
    const Identity* id = inst.core().identity.get();
    if (!id) return BUTTER_E_UNAVAILABLE;
    const auto sig = id->sign(signed_bytes(context, message));
    std::memcpy(sig_out, sig.data(), sig.size());
    return BUTTER_OK;
  };
  return guarded<Caller::AnyThread>(host, "identity.sign", args_valid, kNoKey, BUTTER_E_NOMEM, body);
}

// Needs no node: the handle is not looked at. Whatever fails (a throw too) is "not verified".
butter_status identity_verify(const butter_host*, const uint8_t public_key[32], butter_str context,
                              butter_bytes message, const uint8_t signature[64]) {
  return guarded_pure(BUTTER_E_INVALID, [&]() -> butter_status {
    if (!public_key || !signature || !valid_context(context) || !valid_message(message)) return BUTTER_E_INVALID;
    NodeId signer;
    std::memcpy(signer.bytes.data(), public_key, signer.bytes.size());
    return Identity::verify(signer, signed_bytes(context, message), std::span<const std::uint8_t>(signature, 64))
               ? BUTTER_OK
               : BUTTER_E_INVALID;
  });
}

const butter_identity_v1 kIdentity = {identity_public_key, identity_sign, identity_verify};

}  // namespace

const butter_identity_v1* identity_extension() { return &kIdentity; }

const ServiceModule& identity_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_IDENTITY, &kIdentity}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
