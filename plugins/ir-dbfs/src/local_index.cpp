// LocalIndex: objects and keywords this node answers for, with an inverted keyword index.
#include "local_index.hpp"

#include "messages.hpp"

#include <algorithm>

namespace butter::dbfs {

std::set<std::string> LocalIndex::all_keywords(const Entry& e) {
  std::set<std::string> k = e.stored_keywords;
  k.insert(e.annotations.begin(), e.annotations.end());
  return k;
}

void LocalIndex::reindex(const std::string& id, const Entry& before, const Entry& after) {
  const auto old_k = all_keywords(before), new_k = all_keywords(after);
  for (const auto& k : old_k) {
    if (new_k.count(k)) continue;
    auto it = postings_.find(k);
    if (it == postings_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) postings_.erase(it);
  }
  for (const auto& k : new_k)
    if (!old_k.count(k)) postings_[k].insert(id);
}

void LocalIndex::erase_if_empty(const std::string& id) {
  auto it = objects_.find(id);
  if (it != objects_.end() && !it->second.stored && it->second.annotations.empty()) objects_.erase(it);
}

namespace {
void fold_into(std::set<std::string>& out, const std::vector<std::string>& kws, std::size_t max) {
  for (const auto& k : kws) {
    if (out.size() >= max) break;
    if (k.empty() || k.size() > kMaxTermLen) continue;
    out.insert(fold_case(k));
  }
}
}  // namespace

bool LocalIndex::add_stored(const std::string& id, const std::vector<std::string>& keywords) {
  auto it = objects_.find(id);
  if (it == objects_.end()) {
    if (objects_.size() >= max_objects_) return false;
    it = objects_.emplace(id, Entry{}).first;
  }
  Entry before = it->second;
  it->second.stored = true;
  it->second.stored_keywords.clear();
  fold_into(it->second.stored_keywords, keywords, max_keywords_);
  reindex(id, before, it->second);
  return true;
}

void LocalIndex::drop_stored(const std::string& id) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return;
  Entry before = it->second;
  it->second.stored = false;
  it->second.stored_keywords.clear();
  reindex(id, before, it->second);
  erase_if_empty(id);
}

bool LocalIndex::annotate(const std::string& id, const std::vector<std::string>& keywords) {
  auto it = objects_.find(id);
  if (it == objects_.end()) {
    if (objects_.size() >= max_objects_) return false;
    it = objects_.emplace(id, Entry{}).first;
  }
  Entry before = it->second;
  fold_into(it->second.annotations, keywords, max_keywords_);
  if (it->second.annotations.empty() && !it->second.stored) {
    // Annotating with nothing still records that this node knows the object.
    it->second.annotations.insert(std::string());
  }
  reindex(id, before, it->second);
  return true;
}

void LocalIndex::clear_stored() {
  std::vector<std::string> ids;
  for (const auto& [id, e] : objects_)
    if (e.stored) ids.push_back(id);
  for (const auto& id : ids) drop_stored(id);
}

std::vector<IndexMatch> LocalIndex::match_object(const std::string& id) const {
  auto it = objects_.find(fold_case(id));
  if (it == objects_.end()) return {};
  IndexMatch m{it->first, {}};
  for (const auto& k : all_keywords(it->second))
    if (!k.empty()) m.keywords.push_back(k);
  return {std::move(m)};
}

std::vector<IndexMatch> LocalIndex::match_keywords(const std::vector<std::string>& terms, std::size_t max) const {
  if (terms.empty()) return {};
  std::vector<const std::set<std::string>*> lists;
  for (const auto& t : terms) {
    auto it = postings_.find(fold_case(t));
    if (it == postings_.end()) return {};
    lists.push_back(&it->second);
  }
  std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return a->size() < b->size(); });
  std::vector<IndexMatch> out;
  for (const auto& id : *lists.front()) {
    if (out.size() >= max) break;
    bool all = std::all_of(lists.begin() + 1, lists.end(), [&](auto* l) { return l->count(id) > 0; });
    if (!all) continue;
    auto m = match_object(id);
    if (!m.empty()) out.push_back(std::move(m.front()));
  }
  return out;
}

std::vector<IndexMatch> LocalIndex::annotations() const {
  std::vector<IndexMatch> out;
  for (const auto& [id, e] : objects_) {
    if (e.annotations.empty()) continue;
    IndexMatch m{id, {}};
    for (const auto& k : e.annotations)
      if (!k.empty()) m.keywords.push_back(k);
    out.push_back(std::move(m));
  }
  return out;
}

std::size_t LocalIndex::stored_count() const {
  return static_cast<std::size_t>(
      std::count_if(objects_.begin(), objects_.end(), [](const auto& p) { return p.second.stored; }));
}

}  // namespace butter::dbfs
