// GET /storage's JSON (http_routes.cpp serves it): the node's budget, refusals, persistence,
// possession counters and every held object with its group. Kept apart from the routes, which
// move bytes, because it only reads the engine's state.
#include <butter/cpp/json.hpp>  // butter::Json, dump_json: the HTTP answers
#include "pcg_plugin.hpp"

namespace butter::pcg {

namespace {

// Proof of possession, as counters since start: {challenges_sent, proofs_passed, proofs_failed,
// proof_timeouts, challenges_answered, challenges_refused}.
Json possession_json(const Stats& s) {
  Json j;
  j["challenges_sent"] = s.challenges_sent;
  j["proofs_passed"] = s.proofs_passed;
  j["proofs_failed"] = s.proofs_failed;
  j["proof_timeouts"] = s.proof_timeouts;
  j["challenges_answered"] = s.challenges_answered;
  j["challenges_refused"] = s.challenges_refused;
  return j;
}

Json hex_list(const std::vector<Hash>& ids) {
  Json list = Json::array();
  for (const auto& id : ids) list.push_back(to_hex(id));
  return list;
}

}  // namespace

std::string PcgStorage::list_json() const {
  const Stats& stats = engine_->stats();
  Json j;
  j["node"] = to_hex(self_);
  j["replicas"] = cfg_.r;
  j["used_bytes"] = engine_->budget().used();
  j["capacity_bytes"] = engine_->budget().capacity();
  j["over_capacity"] = engine_->budget().over_capacity();
  j["groups_below_r"] = engine_->groups_below_r();
  j["peer_quota_bytes"] = engine_->quota().limit();
  j["refused"] = {{"non_member_messages", stats.non_member_messages},
                  {"non_member_recruits", stats.non_member_recruits},
                  {"recruits_over_quota", stats.recruits_over_quota},
                  {"reservations_expired", stats.reservations_expired}};
  j["retiring"] = engine_->retiring_count();
  j["persistence"] = {{"enabled", db_.is_open()},
                      {"restored", disk_.restored},
                      {"quarantined", disk_.quarantined},
                      {"write_failures", disk_.write_failures},
                      {"renamed_corrupt_file", disk_.renamed_corrupt_file}};
  j["possession"] = possession_json(stats);
  Json objects = Json::array();
  for (const auto& o : engine_->list()) {
    const View* v = engine_->view_of(o.id);
    auto lead = engine_->leader_of(o.id, now_ms());
    Json obj;
    obj["id"] = to_hex(o.id);
    obj["size"] = o.size;
    obj["group_size"] = o.group_size;
    obj["version"] = v ? v->version : 0;
    obj["leader"] = lead ? to_hex(*lead) : std::string();
    obj["member"] = engine_->is_member(o.id);
    Json members = Json::array();
    for (std::size_t i = 0; v && i < v->members.size(); ++i) members.push_back(to_hex(v->members[i].id));
    obj["members"] = std::move(members);
    // The members this node counts as holding it: those that proved it (possession.hpp).
    obj["proven"] = hex_list(engine_->proven_members(o.id));
    obj["keywords"] = o.keywords;
    objects.push_back(std::move(obj));
  }
  j["objects"] = std::move(objects);
  return dump_json(j);
}

}  // namespace butter::pcg
