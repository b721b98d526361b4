// The local index a node answers queries from: the objects its storage plugin holds (kept with
// list() and the stored/dropped topics) and the keywords attached to them (at put time, or later
// through butter.search/1 annotate). Keywords match case-insensitively (ASCII folding); a keyword
// query matches objects having every term. Bounded in objects and keywords per object.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace butter::dbfs {

struct IndexMatch {
  std::string object_id;
  std::vector<std::string> keywords;
};

class LocalIndex {
 public:
  explicit LocalIndex(std::size_t max_objects = 100000, std::size_t max_keywords = 32)
      : max_objects_(max_objects), max_keywords_(max_keywords) {}

  // The storage plugin holds `id` with `keywords` (replaces its stored keywords). False when full.
  bool add_stored(const std::string& id, const std::vector<std::string>& keywords);
  // The storage plugin no longer holds `id`; annotations stay (the object may come back).
  void drop_stored(const std::string& id);
  // Adds keywords to `id` (creating an annotated-only entry). False when full.
  bool annotate(const std::string& id, const std::vector<std::string>& keywords);
  // Forgets everything held by storage (before a fresh list()).
  void clear_stored();

  // Every object with annotations and those keywords (what annotate() added: for hot swap).
  std::vector<IndexMatch> annotations() const;

  std::vector<IndexMatch> match_object(const std::string& id) const;
  std::vector<IndexMatch> match_keywords(const std::vector<std::string>& terms, std::size_t max) const;

  std::size_t size() const { return objects_.size(); }
  std::size_t stored_count() const;
  bool contains(const std::string& id) const { return objects_.count(id) > 0; }
  // Whether the storage plugin holds `id` (not only annotated here).
  bool stored(const std::string& id) const {
    auto it = objects_.find(id);
    return it != objects_.end() && it->second.stored;
  }

 private:
  struct Entry {
    bool stored = false;
    std::set<std::string> stored_keywords;
    std::set<std::string> annotations;
  };
  void reindex(const std::string& id, const Entry& before, const Entry& after);
  static std::set<std::string> all_keywords(const Entry& e);
  void erase_if_empty(const std::string& id);

  std::size_t max_objects_, max_keywords_;
  std::map<std::string, Entry> objects_;
  std::map<std::string, std::set<std::string>> postings_;  // folded keyword -> object ids
};

}  // namespace butter::dbfs
