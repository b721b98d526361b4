// Verifies an object's bytes as they stream, against its manifest (sdk iface/storage2.h): the
// object id is the SHA-256 of the manifest, and the manifest lists the SHA-256 of every block, so
// each block is checked as soon as its last byte arrives and a corrupt byte is caught with at most
// one block read.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include <openssl/evp.h>

namespace butter::host::cli {

// SHA-256 over bytes given in pieces (manifest_check.cpp says whose).
class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  // The digest of what was given since the last finish(); starts the next one.
  std::array<std::uint8_t, 32> finish();

 private:
  void reset();
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
  bool failed_ = false;  // OpenSSL refused: finish() gives zeros
};

struct Manifest {
  std::uint64_t size = 0;
  std::uint32_t block_size = 0;
  std::vector<std::array<unsigned char, 32>> blocks;
};

// Parses `bytes` and checks that their SHA-256 is `id_hex`; nullopt and `why` otherwise.
std::optional<Manifest> parse_manifest(std::string_view bytes, const std::string& id_hex, std::string& why);

// SHA-256 of bytes as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

class BlockVerifier {
 public:
  // Starts at `offset`, which must be a block boundary.
  BlockVerifier(const Manifest& m, std::uint64_t offset);
  // The next bytes of the object in order; false (and `why`) at the first block that does not match.
  bool feed(std::string_view bytes, std::string& why);
  // Whether everything up to the object's end was fed and matched.
  bool complete() const { return offset_ == m_.size; }
  std::uint64_t offset() const { return offset_; }
  // How far the bytes fed are verified: the end of the last block that matched (a block's bytes
  // are only known good once its last byte arrived).
  std::uint64_t verified() const { return verified_; }

 private:
  bool close_block(std::string& why);
  const Manifest& m_;
  std::uint64_t offset_;
  std::uint64_t verified_;
  Sha256 st_;
};

}  // namespace butter::host::cli
