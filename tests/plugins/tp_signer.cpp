// tp-signer: signs and verifies records with the node's key through butter.identity/1 (the C++
// wrapper's identity()). Plugin id "test.signer".
//   "/test/sign/1"    payload = context '\n' message  -> public key (32) || signature (64)
//   "/test/verify/1"  payload = public key (32) || signature (64) || context '\n' message
//                     -> "valid" or "refused"
// Lets the identity tests sign on one node and verify on another, as a dapp's readers would.
#include <butter/plugin.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace {

class Signer : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    on("/test/sign/1", [this](const butter::Request& req, butter::Reply& reply) {
      const std::string_view in = req.text();
      const auto nl = in.find('\n');
      if (nl == std::string_view::npos) return void(reply.error(BUTTER_E_INVALID, "want context\\nmessage"));
      const auto sig = identity().sign(in.substr(0, nl), in.substr(nl + 1));
      const auto key = identity().public_key();
      std::string out(key.begin(), key.end());
      out.append(sig.begin(), sig.end());
      reply.ok(out);
    });
    on("/test/verify/1", [this](const butter::Request& req, butter::Reply& reply) {
      const std::string_view in = req.text();
      if (in.size() < 96) return void(reply.error(BUTTER_E_INVALID, "too short"));
      butter::PublicKey key{};
      butter::Signature sig{};
      std::copy_n(in.begin(), 32, key.begin());
      std::copy_n(in.begin() + 32, 64, sig.begin());
      const std::string_view rest = in.substr(96);
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) return void(reply.error(BUTTER_E_INVALID, "want context\\nmessage"));
      reply.ok(identity().verify(key, rest.substr(0, nl), rest.substr(nl + 1), sig) ? "valid" : "refused");
    });
  }
};

}  // namespace

BUTTER_PLUGIN(Signer, butter::Descriptor{.id = "test.signer",
                                         .name = "Signer",
                                         .vendor = "Butter tests",
                                         .version = "1.0.0",
                                         .description = "signs and verifies with butter.identity/1"});
