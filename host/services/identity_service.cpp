// butter.identity/1: signatures with the node's Ed25519 key, which never leaves the host.
// Every signature is over "butter/sign/1" 0 context 0 message (domain separation, see
// sdk/include/butter/ext/identity.h), so a plugin cannot make the host sign a transport handshake
// hash or another plugin's record type.
#include "core/identity.hpp"
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

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

const Identity* identity_of(const butter_host* host) {
  auto* inst = instance_of(host);
  if (!inst) return nullptr;
  return inst->core().identity.get();
}

butter_status identity_public_key(const butter_host* host, uint8_t out[32]) {
  const Identity* id = identity_of(host);
  if (!out) return BUTTER_E_INVALID;
  if (!id) return BUTTER_E_UNAVAILABLE;
  const auto& bytes = id->id().bytes;
  std::memcpy(out, bytes.data(), bytes.size());
  return BUTTER_OK;
}

butter_status identity_sign(const butter_host* host, butter_str context, butter_bytes message, uint8_t sig_out[64]) {
  try {
    const Identity* id = identity_of(host);
    if (!sig_out || !valid_context(context) || (!message.data && message.len)) return BUTTER_E_INVALID;
    if (!id) return BUTTER_E_UNAVAILABLE;
    const auto sig = id->sign(signed_bytes(context, message));
    std::memcpy(sig_out, sig.data(), sig.size());
    return BUTTER_OK;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

butter_status identity_verify(const butter_host*, const uint8_t public_key[32], butter_str context,
                              butter_bytes message, const uint8_t signature[64]) {
  try {
    if (!public_key || !signature || !valid_context(context) || (!message.data && message.len)) return BUTTER_E_INVALID;
    NodeId signer;
    std::memcpy(signer.bytes.data(), public_key, signer.bytes.size());
    return Identity::verify(signer, signed_bytes(context, message), std::span<const std::uint8_t>(signature, 64))
               ? BUTTER_OK
               : BUTTER_E_INVALID;
  } catch (...) {
    return BUTTER_E_INVALID;
  }
}

const butter_identity_v1 kIdentity = {identity_public_key, identity_sign, identity_verify};

}  // namespace

const butter_identity_v1* identity_extension() { return &kIdentity; }

}  // namespace butter::host
