// GET /storage's JSON (http_routes.cpp serves it): the node's budget, refusals, persistence,
// possession counters and every held object with its group. Kept apart from the routes, which
// move bytes, because it only reads the engine's state.
#include "pcg_plugin.hpp"

namespace butter::pcg {

// Proof of possession, as counters since start: "possession":{challenges_sent, proofs_passed,
// proofs_failed, proof_timeouts, challenges_answered, challenges_refused}.
std::string PcgStorage::possession_json() const {
  const Stats& s = engine_->stats();
  return "\"possession\":{\"challenges_sent\":" + std::to_string(s.challenges_sent) +
         ",\"proofs_passed\":" + std::to_string(s.proofs_passed) +
         ",\"proofs_failed\":" + std::to_string(s.proofs_failed) +
         ",\"proof_timeouts\":" + std::to_string(s.proof_timeouts) +
         ",\"challenges_answered\":" + std::to_string(s.challenges_answered) +
         ",\"challenges_refused\":" + std::to_string(s.challenges_refused) + "}";
}

std::string PcgStorage::list_json() const {
  std::string s = "{\"node\":\"" + to_hex(self_) + "\",\"replicas\":" + std::to_string(cfg_.r) +
                  ",\"used_bytes\":" + std::to_string(engine_->budget().used()) +
                  ",\"capacity_bytes\":" + std::to_string(engine_->budget().capacity()) +
                  ",\"over_capacity\":" + (engine_->budget().over_capacity() ? "true" : "false") +
                  ",\"groups_below_r\":" + std::to_string(engine_->groups_below_r()) +
                  ",\"peer_quota_bytes\":" + std::to_string(engine_->quota().limit()) +
                  ",\"refused\":{\"non_member_messages\":" + std::to_string(engine_->stats().non_member_messages) +
                  ",\"non_member_recruits\":" + std::to_string(engine_->stats().non_member_recruits) +
                  ",\"recruits_over_quota\":" + std::to_string(engine_->stats().recruits_over_quota) +
                  ",\"reservations_expired\":" + std::to_string(engine_->stats().reservations_expired) + "}" +
                  ",\"retiring\":" + std::to_string(engine_->retiring_count()) +
                  ",\"persistence\":{\"enabled\":" + (db_.is_open() ? "true" : "false") +
                  ",\"restored\":" + std::to_string(disk_.restored) +
                  ",\"quarantined\":" + std::to_string(disk_.quarantined) +
                  ",\"write_failures\":" + std::to_string(disk_.write_failures) +
                  ",\"renamed_corrupt_file\":" + butter::json_string(disk_.renamed_corrupt_file) + "}," +
                  possession_json() + ",\"objects\":[";
  bool first = true;
  for (const auto& o : engine_->list()) {
    s += first ? "" : ",";
    first = false;
    const View* v = engine_->view_of(o.id);
    auto lead = engine_->leader_of(o.id, now_ms());
    s += "{\"id\":\"" + to_hex(o.id) + "\",\"size\":" + std::to_string(o.size) +
         ",\"group_size\":" + std::to_string(o.group_size) + ",\"version\":" + std::to_string(v ? v->version : 0) +
         ",\"leader\":\"" + (lead ? to_hex(*lead) : std::string()) +
         "\",\"member\":" + (engine_->is_member(o.id) ? "true" : "false") + ",\"members\":[";
    for (std::size_t i = 0; v && i < v->members.size(); ++i) s += (i ? ",\"" : "\"") + to_hex(v->members[i].id) + "\"";
    // The members this node counts as holding it: those that proved it (possession.hpp).
    s += "],\"proven\":[";
    const auto proven = engine_->proven_members(o.id);
    for (std::size_t i = 0; i < proven.size(); ++i) s += (i ? ",\"" : "\"") + to_hex(proven[i]) + "\"";
    s += "],\"keywords\":[";
    for (std::size_t i = 0; i < o.keywords.size(); ++i) s += (i ? "," : "") + butter::json_string(o.keywords[i]);
    s += "]}";
  }
  return s + "]}";
}

}  // namespace butter::pcg
