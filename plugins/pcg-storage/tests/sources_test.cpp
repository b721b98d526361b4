// Which nodes a block transfer asks (sources.hpp): a member's fill asks the members that hold
// every block first; a get from outside asks the node that located the object, then at most r
// in all from its view.
#include "sources.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace butter::pcg;

namespace {

Hash source_id(const std::string& name) { return sha256(name); }

View source_view(std::initializer_list<const char*> names) {
  View v;
  v.version = 1;
  for (const char* n : names) v.add(Member{source_id(n), {std::string("tcp://127.0.0.1:1/") + n}});
  return v;
}

// `names` as ids, in the order the view keeps its members (by id).
std::vector<Hash> in_view_order(const View& v, std::initializer_list<const char*> names) {
  std::vector<Hash> ids;
  for (const char* n : names) ids.push_back(source_id(n));
  std::sort(ids.begin(), ids.end(), [&](const Hash& a, const Hash& b) {
    auto at = [&](const Hash& h) { return v.find(h) - v.members.data(); };
    return at(a) < at(b);
  });
  return ids;
}

std::vector<Hash> joined(std::vector<Hash> a, const std::vector<Hash>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("sources: a member's fill asks the members holding every block first, never itself") {
  const View v = source_view({"a", "self", "b", "c", "d"});
  const std::set<Hash> holders{source_id("c"), source_id("a")};
  const auto got = member_sources(v, source_id("self"), [&](const Hash& m) { return holders.count(m) != 0; });
  // Holders in view order, then the others in view order.
  CHECK(got == joined(in_view_order(v, {"a", "c"}), in_view_order(v, {"b", "d"})));
  // Nobody holds it yet: every other member, in view order.
  CHECK(member_sources(v, source_id("self"), [](const Hash&) { return false; }) ==
        in_view_order(v, {"a", "b", "c", "d"}));
  // Alone in the view: nobody to ask.
  CHECK(member_sources(source_view({"self"}), source_id("self"), [](const Hash&) { return true; }).empty());
}

TEST_CASE("sources: a located get asks the locating node first, then its view, at most r in all") {
  const View v = source_view({"x", "self", "from", "y", "z"});
  const Hash from = source_id("from"), self = source_id("self");
  const std::vector<Hash> others = in_view_order(v, {"x", "y", "z"});
  CHECK(located_sources(from, v, self, 3) == std::vector<Hash>{from, others[0], others[1]});
  // A large r: every member but this node, the sender once.
  CHECK(located_sources(from, v, self, 64) == joined({from}, others));
  // r of 1, or a view that does not name the sender: the sender all the same.
  CHECK(located_sources(from, v, self, 1) == std::vector<Hash>{from});
  CHECK(located_sources(from, source_view({"self"}), self, 3) == std::vector<Hash>{from});
}
