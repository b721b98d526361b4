// butter/cpp/identity.hpp — "butter.identity/1": sign with the node's key, verify other nodes'.
//
//   auto sig = identity().sign("org.example.wiki/head", record_bytes);
//   if (!identity().verify(author_key, "org.example.wiki/head", record_bytes, sig)) { /* refuse */ }
//
// The host signs "butter/sign/1" 0 context 0 message, so a signature is only ever valid for the
// context it was made for. [any-thread]
#pragma once

#include <butter/cpp/core.hpp>

#include <array>

namespace butter {

using PublicKey = std::array<std::uint8_t, BUTTER_IDENTITY_PUBLIC_KEY_BYTES>;
using Signature = std::array<std::uint8_t, BUTTER_IDENTITY_SIGNATURE_BYTES>;

class Identity {
 public:
  explicit Identity(const detail::Core* core) noexcept : core_(core) {}
  bool available() const noexcept { return core_->ext.identity != nullptr; }

  // The node's Ed25519 public key; its hex is the node id.
  PublicKey public_key() const {
    PublicKey out{};
    check(vt().public_key(core_->host, out.data()), "public_key");
    return out;
  }
  // Throws butter::Error for a bad context (empty, longer than 255 bytes, or containing NUL).
  Signature sign(std::string_view context, Bytes message) const {
    Signature out{};
    check(vt().sign(core_->host, to_c(context), message.c(), out.data()), "sign");
    return out;
  }
  // False for anything but a valid signature by `key` of `message` under `context`.
  bool verify(const PublicKey& key, std::string_view context, Bytes message, const Signature& sig) const noexcept {
    if (!core_->ext.identity) return false;
    return core_->ext.identity->verify(core_->host, key.data(), to_c(context), message.c(), sig.data()) == BUTTER_OK;
  }

 private:
  const butter_identity_v1& vt() const { return core_->need(core_->ext.identity, BUTTER_EXT_IDENTITY); }
  static void check(butter_status st, const char* what) {
    if (st != BUTTER_OK) throw Error(st, std::string("identity ") + what + ": " + status_name(st));
  }
  const detail::Core* core_;
};

}  // namespace butter
