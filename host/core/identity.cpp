#include "core/identity.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace butter::host {

namespace fs = std::filesystem;

namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Identity::~Identity() { sodium_memzero(secret_.data(), secret_.size()); }

Identity Identity::generate() {
  ensure_sodium();
  Identity id;
  crypto_sign_keypair(id.id_.bytes.data(), id.secret_.data());
  id.derive();
  return id;
}

Identity Identity::from_seed(std::span<const std::uint8_t, 32> seed) {
  ensure_sodium();
  Identity id;
  crypto_sign_seed_keypair(id.id_.bytes.data(), id.secret_.data(), seed.data());
  id.derive();
  return id;
}

std::optional<Identity> Identity::load_or_create(const std::string& dir, Error& error) {
  ensure_sodium();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = Error::make(BUTTER_E_UNAVAILABLE, "cannot create data dir " + dir + ": " + ec.message());
    return std::nullopt;
  }
  const std::string file = (fs::path(dir) / kKeyFileName).string();

  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      error = Error::make(BUTTER_E_UNAVAILABLE, "cannot stat " + file + ": " + errno_text());
      ::close(fd);
      return std::nullopt;
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      error =
          Error::make(BUTTER_E_INVALID, "node key file " + file + " has mode " + mode +
                                            ": it must not be accessible by group or others (chmod 600 " + file + ")");
      return std::nullopt;
    }
    Identity id;
    std::uint8_t buf[65];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n != 64) {
      sodium_memzero(buf, sizeof buf);
      error = Error::make(BUTTER_E_INVALID, "node key file " + file + " is malformed (expected 64 bytes, got " +
                                                std::to_string(n < 0 ? 0 : n) + ")");
      return std::nullopt;
    }
    std::memcpy(id.secret_.data(), buf, 64);
    sodium_memzero(buf, sizeof buf);
    // The secret key embeds the public key; check that they belong together.
    std::uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_ed25519_sk_to_pk(pk, id.secret_.data());
    std::uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, id.secret_.data());
    Identity check = from_seed(std::span<const std::uint8_t, 32>(seed, 32));
    sodium_memzero(seed, sizeof seed);
    if (check.secret_ != id.secret_) {
      error = Error::make(BUTTER_E_INVALID, "node key file " + file + " is corrupt (public key does not match)");
      return std::nullopt;
    }
    std::memcpy(id.id_.bytes.data(), pk, 32);
    id.derive();
    return id;
  }
  if (errno != ENOENT) {
    error = Error::make(BUTTER_E_UNAVAILABLE, "cannot open " + file + ": " + errno_text());
    return std::nullopt;
  }

  Identity id = generate();
  // Written to a temporary file created 0600 and renamed into place, so that a crash never
  // leaves a half-written key.
  const std::string tmp = file + ".tmp";
  ::unlink(tmp.c_str());
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = Error::make(BUTTER_E_UNAVAILABLE, "cannot create " + tmp + ": " + errno_text());
    return std::nullopt;
  }
  ::fchmod(fd, 0600);  // the umask cannot widen it, but make the mode explicit
  ssize_t n = ::write(fd, id.secret_.data(), id.secret_.size());
  bool ok = n == static_cast<ssize_t>(id.secret_.size()) && ::fsync(fd) == 0;
  std::string why = ok ? "" : errno_text();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    if (ok) why = errno_text();
    ::unlink(tmp.c_str());
    error = Error::make(BUTTER_E_UNAVAILABLE, "cannot write " + file + ": " + why);
    return std::nullopt;
  }
  return id;
}

Identity::Signature Identity::sign(std::span<const std::uint8_t> message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

bool Identity::verify(const NodeId& signer, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature) {
  ensure_sodium();
  if (signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), signer.bytes.data()) == 0;
}

Identity::X25519Key Identity::x25519_secret() const {
  X25519Key k{};
  crypto_sign_ed25519_sk_to_curve25519(k.data(), secret_.data());
  return k;
}

void Identity::derive() {
  // Our own key pair is valid, so the conversion cannot fail.
  x25519_public_ = x25519_public_of(id_).value_or(X25519Key{});
}

std::optional<Identity::X25519Key> Identity::x25519_public_of(const NodeId& id) {
  ensure_sodium();
  X25519Key k{};
  if (crypto_sign_ed25519_pk_to_curve25519(k.data(), id.bytes.data()) != 0) return std::nullopt;
  return k;
}

}  // namespace butter::host
