// tp-dbfs-poisoner: a hostile node for the ir-dbfs search-integrity tests. It speaks the real
// /butter/dbfs/1 frames (ir-dbfs's own codec) over the node's encrypted connections: it sends LINK
// to every connected peer (so that they forward queries to it), answers every QUERY at once with
// forged hits — for an object query, "I hold it" and "<a made-up node> holds it"; for a keyword
// query, made-up content ids with the searched keywords — and answers every PROVE with a proof
// that does not verify (a made-up manifest and block). Plugin id "test.dbfs-poisoner".
//   GET /tp-poisoner/status -> {"queries":N,"hits":N,"proves":N,"links":N}
#include "messages.hpp"

#include <butter/plugin.hpp>

#include <random>
#include <string>

namespace {

using namespace butter::dbfs;

class Poisoner : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    on(kProtocol, [this](const butter::Request& req) { on_message(req); });
    http().get("/tp-poisoner/status", [this](const butter::HttpRequest&, butter::HttpResponse& res) {
      res.json("{\"queries\":" + std::to_string(queries_) + ",\"hits\":" + std::to_string(hits_) +
               ",\"proves\":" + std::to_string(proves_) + ",\"links\":" + std::to_string(links_) + "}");
    });
  }

  void start() override {
    link_timer_ = every(std::chrono::milliseconds(200), [this] {
      const auto link = encode_link();
      for (const auto& p : net().peers())
        if (send(p.node_id, kProtocol, link)) ++links_;
    });
  }

  void stop() override { link_timer_.cancel(); }

 private:
  std::string fake_id() {
    static const char* d = "0123456789abcdef";
    std::string s(64, '0');
    for (char& c : s) c = d[rng_() & 15];
    return s;
  }

  void on_message(const butter::Request& req) {
    const std::uint8_t* data = reinterpret_cast<const std::uint8_t*>(req.bytes().data());
    const std::size_t len = req.bytes().size();
    std::string why;
    auto type = peek_type(data, len, why);
    if (!type) return;
    const std::string from(req.from());
    if (*type == MsgType::Query) {
      auto q = decode_query(data, len, why);
      if (!q) return;
      ++queries_;
      Hits h;
      h.id = q->id;
      h.hops = q->hops;
      const std::string self(node().id());
      const auto eps = node().endpoints();
      if (q->kind == QueryKind::Object) {
        h.hits.push_back(Hit{q->terms.front(), self, eps, {"forged"}});
        h.hits.push_back(Hit{q->terms.front(), fake_id(), eps, {"forged"}});
      } else {
        for (int i = 0; i < 4; ++i) h.hits.push_back(Hit{fake_id(), self, eps, q->terms});
      }
      hits_ += h.hits.size();
      send(from, kProtocol, encode(h));
    } else if (*type == MsgType::Prove) {
      auto p = decode_prove(data, len, why);
      if (!p) return;
      ++proves_;
      Proof proof;
      proof.nonce = p->nonce;
      proof.status = ProofStatus::Ok;
      proof.manifest.assign(200, 0);
      for (auto& b : proof.manifest) b = static_cast<std::uint8_t>(rng_());
      proof.block.assign(1024, 0x42);
      send(from, kProtocol, encode(proof));
    }
  }

  std::mt19937_64 rng_{std::random_device{}()};
  butter::Timer link_timer_;
  std::uint64_t queries_ = 0, hits_ = 0, proves_ = 0, links_ = 0;
};

}  // namespace

BUTTER_PLUGIN(Poisoner,
              butter::Descriptor{.id = "test.dbfs-poisoner",
                                 .name = "dbfs poisoner",
                                 .vendor = "Butter tests",
                                 .version = "1.0.0",
                                 .description = "answers every dbfs query with forged hits and false proofs"});
