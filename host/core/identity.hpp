// Identity: a node's long-term Ed25519 key pair. The node id IS the 32-byte Ed25519 public key,
// so whoever proves it holds the secret key behind an id (see transport/secure_channel.hpp) is
// that node. The key pair lives in <data_dir>/node_key (64-byte libsodium secret key, which
// embeds the public key), created on first run with mode 0600; a key file that group or others
// may read is refused. A node without a data dir gets an ephemeral key pair.
#pragma once
#include "core/node_id.hpp"
#include "core/status.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace butter::host {

class Identity {
 public:
  static constexpr std::size_t kSignatureBytes = 64;
  static constexpr const char* kKeyFileName = "node_key";
  using Signature = std::array<std::uint8_t, kSignatureBytes>;
  using X25519Key = std::array<std::uint8_t, 32>;

  // A fresh random key pair.
  static Identity generate();
  // A key pair from a 32-byte seed (deterministic; for tests and benchmarks).
  static Identity from_seed(std::span<const std::uint8_t, 32> seed);
  // Loads <dir>/node_key, or creates it (mode 0600, and `dir` if missing) when absent. nullopt with
  // `error` set when the file cannot be read or written, is malformed, or is readable by group or
  // others.
  static std::optional<Identity> load_or_create(const std::string& dir, Error& error);

  Identity(const Identity&) = default;
  Identity& operator=(const Identity&) = default;
  ~Identity();

  NodeId id() const { return id_; }
  Signature sign(std::span<const std::uint8_t> message) const;
  static bool verify(const NodeId& signer, std::span<const std::uint8_t> message,
                     std::span<const std::uint8_t> signature);

  // The X25519 (Curve25519) key pair derived from the Ed25519 one, for key exchange.
  X25519Key x25519_secret() const;
  // Derived once when the key pair is made: every handshake needs it, and the conversion costs
  // a point decompression.
  X25519Key x25519_public() const { return x25519_public_; }
  // The X25519 public key of an Ed25519 public key (a node id); nullopt if it is not a valid point.
  static std::optional<X25519Key> x25519_public_of(const NodeId& id);

 private:
  Identity() = default;
  void derive();
  std::array<std::uint8_t, 64> secret_{};  // libsodium's seed || public key
  NodeId id_;
  X25519Key x25519_public_{};
};

}  // namespace butter::host
