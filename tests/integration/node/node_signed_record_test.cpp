// Signed records through butter.identity/1: what one node signs, another verifies; a forged or
// tampered record, another key, or another context is refused.
#include "support/test_node.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace butter;
using namespace butter::test;

namespace {

std::string hex_of(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

}  // namespace

TEST_CASE("identity signed records verify on another node and forgeries are refused") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", test_plugin_table("signer", "tp-signer.so")));
  TestNode b(rt, registry, loopback_manifest("b", test_plugin_table("signer", "tp-signer.so")));

  const std::string context = "org.example.wiki/head";
  const std::string record = "page 7 -> version 3";
  auto signed_by_a = request_from(b, a.endpoint(), "/test/sign/1", context + "\n" + record);
  REQUIRE(signed_by_a.status == BUTTER_OK);
  REQUIRE(signed_by_a.payload.size() == 96);
  const std::string key = signed_by_a.payload.substr(0, 32);
  const std::string sig = signed_by_a.payload.substr(32);
  // The signing key is the node id: a reader knows who wrote the record.
  CHECK(hex_of(key) == a->id_hex());

  auto verify_on_a = [&](const std::string& k, const std::string& s, const std::string& ctx, const std::string& msg) {
    auto r = request_from(b, a.endpoint(), "/test/verify/1", k + s + ctx + "\n" + msg);
    REQUIRE(r.status == BUTTER_OK);
    return r.payload;
  };
  // Verified by the other node's plugin, which only knows the public key.
  auto on_b = request_from(a, b.endpoint(), "/test/verify/1", key + sig + context + "\n" + record);
  REQUIRE(on_b.status == BUTTER_OK);
  CHECK(on_b.payload == "valid");

  std::string tampered = record;
  tampered.back() = '4';
  CHECK(verify_on_a(key, sig, context, tampered) == "refused");
  std::string forged = sig;
  forged[10] = static_cast<char>(forged[10] ^ 0x01);
  CHECK(verify_on_a(key, forged, context, record) == "refused");
  CHECK(verify_on_a(key, sig, "org.example.other/head", record) == "refused");

  // B's own signature of the same record does not pass as A's.
  auto signed_by_b = request_from(a, b.endpoint(), "/test/sign/1", context + "\n" + record);
  REQUIRE(signed_by_b.status == BUTTER_OK);
  CHECK(verify_on_a(key, signed_by_b.payload.substr(32), context, record) == "refused");
  CHECK(verify_on_a(signed_by_b.payload.substr(0, 32), signed_by_b.payload.substr(32), context, record) == "valid");
}

TEST_CASE("identity refuses to sign with an empty or NUL-bearing context") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, loopback_manifest("a", test_plugin_table("signer", "tp-signer.so")));
  TestNode b(rt, registry, loopback_manifest("b"));
  // The wrapper turns BUTTER_E_INVALID into an exception, which the handler boundary answers as an
  // error; the node keeps serving.
  CHECK(request_from(b, a.endpoint(), "/test/sign/1", "\nmessage").status != BUTTER_OK);
  CHECK(request_from(b, a.endpoint(), "/test/sign/1", std::string("a\0b", 3) + "\nmessage").status != BUTTER_OK);
  CHECK(request_from(b, a.endpoint(), "/test/sign/1", "ctx\nmessage").status == BUTTER_OK);
}
