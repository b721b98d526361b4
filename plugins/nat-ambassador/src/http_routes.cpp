// nat-ambassador's HTTP routes but GET /nat/throughput (bulk_ping.cpp): GET /nat (the report),
// /nat/ping and /nat/capture.
#include "json_answer.hpp"
#include "nat_plugin.hpp"

#include <butter/wire.hpp>

namespace butter::nat {

namespace {

// GET /nat/ping's answer: {"ok", "answer", "from", "via"}.
std::string ping_json(bool ok, std::string_view answer, std::string_view from, std::string_view via) {
  Json j = Json::object();
  j["ok"] = ok;
  j["answer"] = answer;
  j["from"] = from;
  j["via"] = via;
  return dump_json(j);
}

}  // namespace

void NatAmbassador::add_routes() {
  http().get("/nat", [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(report_json()); });
  http().get("/nat/ping",
             [this](const butter::HttpRequest& req, butter::HttpResponse& res) { ping_route(req, std::move(res)); });
  http().get("/nat/throughput", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
    throughput_route(req, std::move(res));
  });
  http().get("/nat/capture", [this](const butter::HttpRequest&, butter::HttpResponse& res) {
    res.json(dump_json(Json{{"bytes", capture_.bytes.size()}, {"hex", butter::wire::to_hex(capture_.bytes)}}));
  });
}

std::string NatAmbassador::report_json() const {
  Json j = Json::object();
  j["node"] = self_;
  j["mode"] = reach_config_.mode;
  j["verdict"] = reach_name(reach_.verdict.state());
  j["ambassador"] = string_or_null(ambassador_.id());
  j["relay_endpoint"] = string_or_null(ambassador_.relay_endpoint());
  j["moves"] = ambassador_.moves();
  j["serving"] = relay_server_.serving();
  j["clients"] = relay_server_.client_ids();
  j["clients_served"] = relay_server_.clients();
  j["max_clients"] = limits_.max_clients;
  j["relays_active"] = relay_server_.circuits();
  j["streams"] = relay_ends_.size();
  j["known_public"] = reach_.known_public();
  j["punch"] = upgrader_.punch_json();
  return dump_json(j);
}

// GET /nat/ping?peer=<node id or endpoint URI>: a /butter/nat/1 ping through the ordinary
// messaging path (so through a relay:// endpoint when given one), for operators and tests.
void NatAmbassador::ping_route(const butter::HttpRequest& req, butter::HttpResponse res) {
  auto peer = req.query_param("peer");
  if (!peer || peer->empty()) {
    res.status(400).text("missing ?peer=");
    return;
  }
  auto shared = std::make_shared<butter::HttpResponse>(std::move(res));
  const std::string target = *peer;
  auto st = request(target, kNatProtocol, encode_ping("hello"), request_timeout_ * 3,
                    [this, shared, target](const butter::Response& r) {
                      std::string via;
                      for (const auto& p : peers())
                        if (p.node_id == r.from()) via = p.remote_address;
                      shared->json(ping_json(r.ok(), r.ok() ? r.text() : std::string_view(r.error()), r.from(), via));
                    });
  if (!st) shared->json(ping_json(false, st.message(), "", ""));
}

}  // namespace butter::nat
