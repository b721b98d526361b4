// wiki_write: creating and editing pages (POST /wiki/api/pages, form encoded: title, text,
// keywords, and base = the version id the edit started from).
//
// The page id is this node's page of that title, so editing another node's page makes this node's
// own page of the same title, whose first version links the version it started from. A write is
// two puts at once: the version (an immutable object with its keywords) and the head naming it
// (the version id is its hash, known before any traffic), signed with the node key, with
// seq = max(last seq + 1, now in ms) so that the newest write wins across restarts without asking
// anyone. The writer gets 201 when both groups hold their object, or after write_wait_ms with
// "replicated": false (both are held here already; replication goes on).
#include "wiki.hpp"

#include <chrono>

namespace {
// `s` without leading and trailing spaces and tabs (a title typed with a stray blank is the same title).
std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

namespace wiki {

namespace {
std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}
int status_for(butter_status st) {
  switch (st) {
    case BUTTER_E_NOMEM:
      return 507;
    case BUTTER_E_INVALID:
      return 400;
    case BUTTER_E_TIMEOUT:
      return 504;
    default:
      return 503;
  }
}
}  // namespace

void Wiki::post_page(const butter::HttpRequest& req, butter::HttpResponse& res) {
  if (req.body().size() > max_body_)
    return refuse(res, 413, "body longer than " + std::to_string(max_body_) + " bytes", refused_total_);
  const auto ct = req.header("content-type").value_or("");
  if (ct.substr(0, 33) != "application/x-www-form-urlencoded")
    return refuse(res, 415, "send application/x-www-form-urlencoded: title, text, keywords, base", refused_total_);
  auto form = butter::parse_form(req.body());
  if (!form) return refuse(res, 400, "malformed form body", refused_total_);
  for (const auto& [k, v] : *form)
    if (k != "title" && k != "text" && k != "keywords" && k != "base")
      return refuse(res, 400, "unknown field '" + k.substr(0, 40) + "'", refused_total_);

  Version v;
  v.title = std::string(trim_blanks((*form)["title"]));
  v.text = (*form)["text"];
  if (v.text.size() > kMaxText)
    return refuse(res, 413, "text longer than " + std::to_string(kMaxText) + " bytes", refused_total_);
  if (auto e = check_title(v.title); !e.empty()) return refuse(res, 400, e, refused_total_);
  if (auto e = check_text(v.text); !e.empty()) return refuse(res, 400, e, refused_total_);
  std::string why;
  auto kws = parse_keywords((*form)["keywords"], &why);
  if (!kws) return refuse(res, 400, why, refused_total_);
  v.keywords = std::move(*kws);
  const std::string base = (*form)["base"];
  if (!base.empty() && !butter::wire::is_lower_hex(base, 64))
    return refuse(res, 400, "base must be a version id (64 hex digits)", refused_total_);

  v.page_id = page_id(self_, v.title);
  v.author = self_;
  v.created_unix_ms = unix_ms();
  auto known = heads_.find(v.page_id);
  const bool edit = known != heads_.end();
  v.seq = std::max(edit ? known->second.seq + 1 : 1, v.created_unix_ms);
  v.predecessor = !base.empty() ? base : edit ? known->second.version_id : std::string();

  // The version is signed by this node (its author) over every field; its id is then known before
  // any network traffic: sign the head at once and put both.
  const butter::Signature vsig = identity().sign(kVersionContext, version_signed_bytes(v));
  std::copy(vsig.begin(), vsig.end(), v.signature.begin());
  const std::string version_bytes = encode_version(v);
  auto op = std::make_shared<WriteOp>();
  op->res = std::move(res);
  op->version_id =
      storage().put(version_bytes, version_keywords(v), [this, op](const butter::PutResult& r) { put_done(op, r); });
  if (op->version_id.empty()) return;  // refused here: put_done answers on the next turn
  Head h;
  h.page_id = v.page_id;
  h.version_id = op->version_id;
  h.seq = v.seq;
  h.author = self_;
  h.created_unix_ms = v.created_unix_ms;
  h.title = v.title;
  const butter::Signature sig = identity().sign(kHeadContext, head_signed_bytes(h));
  std::copy(sig.begin(), sig.end(), h.signature.begin());
  op->head = h;
  op->edit = edit;
  ++op->pending;
  op->head_id = storage().put(encode_head(h), head_keywords(h.page_id),
                              [this, op](const butter::PutResult& r) { put_done(op, r); });
  if (op->head_id.empty()) return;
  // Both are held here now: this node reads the new version at once, and answers the writer once
  // the groups hold them or after write_wait_ms, whichever comes first.
  learn_head(h);
  remember_version(op->version_id, std::move(v));
  (edit ? edits_total_ : created_total_).add();
  op->timer = after(std::chrono::milliseconds(write_wait_ms_), [this, op] { answer_write(op); });
}

void Wiki::put_done(const std::shared_ptr<WriteOp>& op, const butter::PutResult& r) {
  --op->pending;
  if (!r.ok()) {
    log().info("put {} not confirmed: {}", r.object_id, r.status.message());
    if (!op->failed) op->failed = r.status;
  } else {
    op->replicas = std::min(op->replicas, r.replicas);
  }
  if (op->pending == 0 || (op->failed && op->head_id.empty())) answer_write(op);
}

void Wiki::answer_write(const std::shared_ptr<WriteOp>& op) {
  if (op->answered) return;
  op->answered = true;
  op->timer.cancel();
  if (op->version_id.empty() || op->head_id.empty()) {
    const butter_status st = op->failed ? op->failed->code() : BUTTER_E_INTERNAL;
    op->res.status(status_for(st))
        .text("the page could not be stored: " + (op->failed ? op->failed->message() : "refused") + "\n");
    return;
  }
  const bool confirmed = op->pending == 0 && !op->failed;
  op->res.status(201).json(dump_json({{"page", op->head.page_id},
                                      {"version", op->version_id},
                                      {"seq", op->head.seq},
                                      {"head", op->head_id},
                                      {"replicated", confirmed},
                                      {"replicas", confirmed ? op->replicas : 1u}}));
}

}  // namespace wiki
