// SecureChannel without sockets, and the node key file (Identity).
#include "core/identity.hpp"
#include "channel_fixture.hpp"
#include "transport/secure_channel.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace butter::host;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

// Shuttles bytes between the two channels until neither has anything to send.
struct Pair {
  SecureChannel a, b;
  Bytes a_plain, b_plain;
  Pair(std::shared_ptr<const Identity> ia, std::shared_ptr<const Identity> ib, bool pa = false, bool pb = false)
      : a(std::move(ia), true, pa), b(std::move(ib), false, pb) {}
  void run() {
    Bytes to_b = a.start(), to_a = b.start();
    while (!to_a.empty() || !to_b.empty()) {
      Bytes next_a, next_b;
      if (!to_b.empty()) b.feed(to_b, next_a, b_plain);
      if (!to_a.empty()) a.feed(to_a, next_b, a_plain);
      to_a = std::move(next_a);
      to_b = std::move(next_b);
    }
  }
};

fs::path temp_dir() {
  auto p =
      fs::temp_directory_path() / ("butter-identity-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  fs::remove_all(p);
  return p;
}

}  // namespace

TEST_CASE("the handshake with the right keys succeeds and both learn the peer id", "[secure]") {
  auto ia = make_identity(), ib = make_identity();
  Pair p(ia, ib);
  p.run();
  REQUIRE(p.a.established());
  REQUIRE(p.b.established());
  CHECK(p.a.peer_id() == ib->id());
  CHECK(p.b.peer_id() == ia->id());

  Bytes msg(200000, 0x5a);  // several records
  Bytes wire;
  REQUIRE(p.a.seal(msg, wire));
  Bytes out, back;
  // Fed one byte at a time for the first record, then the rest at once.
  for (std::size_t i = 0; i < 100; ++i) REQUIRE(p.b.feed({wire.data() + i, 1}, back, out));
  REQUIRE(p.b.feed({wire.data() + 100, wire.size() - 100}, back, out));
  CHECK(back.empty());
  CHECK(out == msg);

  wire.clear();
  out.clear();
  Bytes reply = {'o', 'k'};
  REQUIRE(p.b.seal(reply, wire));
  REQUIRE(p.a.feed(wire, back, out));
  CHECK(out == reply);
}

TEST_CASE("records are encrypted", "[secure]") {
  Pair p(make_identity(), make_identity());
  p.run();
  std::string secret = "a very secret message";
  Bytes wire;
  REQUIRE(p.a.seal({reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()}, wire));
  CHECK(std::string(wire.begin(), wire.end()).find("secret") == std::string::npos);
}

TEST_CASE("a flipped bit in a record fails authentication", "[secure]") {
  Pair p(make_identity(), make_identity());
  p.run();
  Bytes msg = {1, 2, 3, 4, 5, 6, 7, 8}, wire, back, out;
  REQUIRE(p.a.seal(msg, wire));
  wire[6] ^= 0x10;
  CHECK_FALSE(p.b.feed(wire, back, out));
  CHECK(p.b.failed());
  CHECK(p.b.auth_failure());
  CHECK(p.b.error().find("authentication") != std::string::npos);
  CHECK(out.empty());
  // Once failed, it stays failed.
  CHECK_FALSE(p.b.feed(wire, back, out));
}

TEST_CASE("a tampered handshake fails on both sides", "[secure]") {
  auto ia = make_identity(), ib = make_identity();
  SecureChannel a(ia, true, false), b(ib, false, false);
  Bytes to_b = a.start(), to_a = b.start(), plain;
  Bytes m2;
  REQUIRE(b.feed(to_b, m2, plain));
  REQUIRE(a.feed(to_a, to_b, plain));  // b's preamble
  m2[m2.size() - 20] ^= 1;             // inside the encrypted payload of message 2
  Bytes m3;
  CHECK_FALSE(a.feed(m2, m3, plain));
  CHECK(a.auth_failure());
  CHECK_FALSE(a.established());
}

TEST_CASE("plaintext mode passes bytes through only when both sides agree", "[secure]") {
  {
    Pair p(nullptr, nullptr, true, true);
    p.run();
    REQUIRE(p.a.established());
    REQUIRE(p.b.established());
    CHECK_FALSE(p.a.peer_id());
    Bytes msg = {9, 8, 7}, wire, back, out;
    REQUIRE(p.a.seal(msg, wire));
    CHECK(wire == msg);
    REQUIRE(p.b.feed(wire, back, out));
    CHECK(out == msg);
  }
  {
    Pair p(nullptr, make_identity(), true, false);
    p.run();
    CHECK(p.a.failed());
    CHECK(p.b.failed());
    CHECK(p.a.error().find("peer requires encryption") != std::string::npos);
    CHECK(p.b.error().find("plaintext") != std::string::npos);
  }
}

TEST_CASE("a peer without the preamble is refused", "[secure]") {
  SecureChannel b(make_identity(), false, false);
  b.start();
  Bytes junk = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'}, wire, plain;
  CHECK_FALSE(b.feed(junk, wire, plain));
  CHECK(b.error().find("preamble") != std::string::npos);
}

TEST_CASE("signatures verify only for the signer and the message", "[identity]") {
  auto a = Identity::generate(), b = Identity::generate();
  Bytes msg = {1, 2, 3};
  auto sig = a.sign(msg);
  CHECK(Identity::verify(a.id(), msg, sig));
  CHECK_FALSE(Identity::verify(b.id(), msg, sig));
  msg[0] = 9;
  CHECK_FALSE(Identity::verify(a.id(), msg, sig));
  CHECK(Identity::x25519_public_of(a.id()) == a.x25519_public());
}

TEST_CASE("the key file is created with mode 0600 and reloads to the same id", "[identity]") {
  auto dir = temp_dir();
  Error e;
  auto first = Identity::load_or_create(dir.string(), e);
  INFO(e.message);
  REQUIRE(first);
  auto file = dir / Identity::kKeyFileName;
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(fs::file_size(file) == 64);
  auto second = Identity::load_or_create(dir.string(), e);
  REQUIRE(second);
  CHECK(second->id() == first->id());
  fs::remove_all(dir);
}

TEST_CASE("a group-readable key file is refused", "[identity]") {
  auto dir = temp_dir();
  Error e;
  REQUIRE(Identity::load_or_create(dir.string(), e));
  auto file = dir / Identity::kKeyFileName;
  REQUIRE(::chmod(file.c_str(), 0640) == 0);
  auto again = Identity::load_or_create(dir.string(), e);
  CHECK_FALSE(again);
  CHECK(e.message.find("0640") != std::string::npos);
  CHECK(e.message.find("group or others") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a truncated key file is refused", "[identity]") {
  auto dir = temp_dir();
  fs::create_directories(dir);
  auto file = dir / Identity::kKeyFileName;
  { std::ofstream(file) << "short"; }
  REQUIRE(::chmod(file.c_str(), 0600) == 0);
  Error e;
  CHECK_FALSE(Identity::load_or_create(dir.string(), e));
  CHECK(e.message.find("malformed") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a preamble with its reserved bytes changed in transit is refused", "[secure]") {
  for (std::size_t at : {std::size_t{6}, std::size_t{7}}) {
    SecureChannel a(make_identity(), true, false), b(make_identity(), false, false);
    Bytes to_b = a.start(), wire, plain;
    b.start();
    to_b[at] = 1;
    CHECK_FALSE(b.feed(to_b, wire, plain));
    CHECK(b.error().find("reserved") != std::string::npos);
  }
}
