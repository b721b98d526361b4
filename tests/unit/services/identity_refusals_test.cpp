// butter.identity/1 through its real vtable: what public_key, sign and verify answer for a handle
// without an instance, a node without a key, bad arguments and a throw inside the host (none may
// leave through the C ABI). [any-thread] calls: an inactive instance is served, from any thread.
#include "core/identity.hpp"
#include "inactive_instance.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>

using namespace butter::host;

using butter::host::test::InactiveInstance;
using butter::host::test::kNoInstance;

namespace {

butter_str context_of(const char* s) { return butter_str{s, std::char_traits<char>::length(s)}; }

// A node with a key, as Node::start leaves it.
void give_key(InactiveInstance& node) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 7;
  node.core->identity = std::make_shared<const Identity>(Identity::from_seed(seed));
}

// A message whose signed bytes ("butter/sign/1" 0 context 0 message) are more than a vector may
// hold: building them throws (std::length_error) before a byte of the message is read, and without
// the length overflowing.
butter_bytes unbuildable_message(const std::uint8_t& byte) {
  return butter_bytes{&byte, static_cast<std::size_t>(PTRDIFF_MAX)};
}

}  // namespace

TEST_CASE("identity: public_key and sign refuse bad arguments first, then a handle or node without a key") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_identity_v1& identity = *identity_extension();
  const std::uint8_t byte = 1;
  std::uint8_t key[32] = {};
  std::uint8_t sig[64] = {};
  const butter_str ctx = context_of("org.example.test/record");
  const butter_bytes msg{&byte, 1};

  // Bad arguments, whatever the handle.
  for (const butter_host* caller : {static_cast<const butter_host*>(&kNoInstance), host}) {
    CHECK(identity.public_key(caller, nullptr) == BUTTER_E_INVALID);
    CHECK(identity.sign(caller, ctx, msg, nullptr) == BUTTER_E_INVALID);
    CHECK(identity.sign(caller, context_of(""), msg, sig) == BUTTER_E_INVALID);
    CHECK(identity.sign(caller, butter_str{"a\0b", 3}, msg, sig) == BUTTER_E_INVALID);
    CHECK(identity.sign(caller, ctx, butter_bytes{nullptr, 1}, sig) == BUTTER_E_INVALID);
  }
  // A handle without an instance answers as a node without a key: unavailable, not invalid.
  CHECK(identity.public_key(&kNoInstance, key) == BUTTER_E_UNAVAILABLE);
  CHECK(identity.sign(&kNoInstance, ctx, msg, sig) == BUTTER_E_UNAVAILABLE);
  CHECK(identity.public_key(host, key) == BUTTER_E_UNAVAILABLE);
  CHECK(identity.sign(host, ctx, msg, sig) == BUTTER_E_UNAVAILABLE);

  // With a key: served to an inactive instance, from this thread (not the node's), and not counted
  // as an off-thread call.
  give_key(node);
  CHECK(identity.public_key(host, key) == BUTTER_OK);
  CHECK(std::equal(std::begin(key), std::end(key), node.core->identity->id().bytes.begin()));
  CHECK(identity.sign(host, ctx, msg, sig) == BUTTER_OK);
  CHECK(identity.verify(host, key, ctx, msg, sig) == BUTTER_OK);
  CHECK(node.inst->off_thread_calls() == 0);
}

TEST_CASE("identity: a throw inside sign answers BUTTER_E_NOMEM and inside verify BUTTER_E_INVALID") {
  InactiveInstance node;
  give_key(node);
  const butter_host* host = node.host();
  const butter_identity_v1& identity = *identity_extension();
  const std::uint8_t byte = 1;
  std::uint8_t key[32] = {};
  std::uint8_t sig[64] = {};
  const butter_str ctx = context_of("org.example.test/record");
  REQUIRE(identity.public_key(host, key) == BUTTER_OK);

  CHECK(identity.sign(host, ctx, unbuildable_message(byte), sig) == BUTTER_E_NOMEM);
  CHECK(identity.verify(host, key, ctx, unbuildable_message(byte), sig) == BUTTER_E_INVALID);
}

TEST_CASE("identity: verify needs no node and refuses bad arguments and a forgery with BUTTER_E_INVALID") {
  InactiveInstance node;
  give_key(node);
  const butter_identity_v1& identity = *identity_extension();
  const std::uint8_t byte = 1;
  std::uint8_t key[32] = {};
  std::uint8_t sig[64] = {};
  const butter_str ctx = context_of("org.example.test/record");
  const butter_bytes msg{&byte, 1};
  REQUIRE(identity.public_key(node.host(), key) == BUTTER_OK);
  REQUIRE(identity.sign(node.host(), ctx, msg, sig) == BUTTER_OK);

  // Any handle, none at all included: the handle is not looked at.
  for (const butter_host* caller : {static_cast<const butter_host*>(nullptr), &kNoInstance, node.host()}) {
    CHECK(identity.verify(caller, key, ctx, msg, sig) == BUTTER_OK);
  }
  CHECK(identity.verify(nullptr, nullptr, ctx, msg, sig) == BUTTER_E_INVALID);
  CHECK(identity.verify(nullptr, key, ctx, msg, nullptr) == BUTTER_E_INVALID);
  CHECK(identity.verify(nullptr, key, context_of(""), msg, sig) == BUTTER_E_INVALID);
  CHECK(identity.verify(nullptr, key, ctx, butter_bytes{nullptr, 1}, sig) == BUTTER_E_INVALID);
  // Another context, or a changed signature: not verified.
  CHECK(identity.verify(nullptr, key, context_of("org.example.test/other"), msg, sig) == BUTTER_E_INVALID);
  sig[0] ^= 1;
  CHECK(identity.verify(nullptr, key, ctx, msg, sig) == BUTTER_E_INVALID);
}
