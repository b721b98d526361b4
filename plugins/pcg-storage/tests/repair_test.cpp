// The repair planner: removal, recruitment with quality and diversity, shedding.
#include "repair.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace butter::pcg;

namespace {
Hash H(const char* n) { return sha256(n); }
View make(std::initializer_list<const char*> names) {
  View v;
  v.version = 1;
  for (const char* n : names) v.add(Member{H(n), {}});
  return v;
}
}  // namespace

TEST_CASE("suspected members are removed and replaced up to r") {
  auto v = make({"self", "b", "c"});
  RepairInput in;
  in.object = H("o");
  in.self = H("self");
  in.r = 3;
  in.view = &v;
  in.remove = [](const Hash& id) { return id == H("c"); };
  in.complete = [](const Hash&) { return true; };
  in.candidates = {Candidate{H("d"), {}, 1}, Candidate{H("e"), {}, 7}, Candidate{H("b"), {}, 7}};
  auto plan = plan_repair(in);
  REQUIRE(plan.remove.size() == 1);
  CHECK(plan.remove[0] == H("c"));
  REQUIRE(plan.recruit.size() == 1);
  CHECK(plan.recruit[0].id == H("e"));  // higher quality class; b is a member already
  CHECK(plan.shed.empty());
}

TEST_CASE("no recruitment without a live member holding every block") {
  auto v = make({"self", "b"});
  RepairInput in;
  in.object = H("o");
  in.self = H("self");
  in.r = 3;
  in.view = &v;
  in.remove = [](const Hash&) { return false; };
  in.complete = [](const Hash&) { return false; };
  in.candidates = {Candidate{H("d"), {}, 1}};
  CHECK_FALSE(plan_repair(in).changes());
  in.complete = [](const Hash& id) { return id == H("b"); };
  CHECK(plan_repair(in).recruit.size() == 1);
}

TEST_CASE("a group above r sheds incomplete members first and never the leader") {
  auto v = make({"self", "b", "c", "d", "e"});
  RepairInput in;
  in.object = H("o");
  in.self = H("self");
  in.r = 3;
  in.view = &v;
  in.remove = [](const Hash&) { return false; };
  in.complete = [](const Hash& id) { return id != H("d"); };
  auto plan = plan_repair(in);
  REQUIRE(plan.shed.size() == 2);
  CHECK(plan.shed[0] == H("d"));
  CHECK(std::find(plan.shed.begin(), plan.shed.end(), H("self")) == plan.shed.end());
  CHECK(plan.recruit.empty());
  // Every node computes the same shed set.
  CHECK(plan_repair(in).shed == plan.shed);
}

TEST_CASE("candidates are picked for diversity first then quality") {
  View v = make({"self"});
  std::vector<Candidate> c = {{H("a"), {}, 7}, {H("b"), {}, 7}, {H("c"), {}, 0}, {H("d"), {}, 3}};
  auto picked = pick_candidates(c, v, 3);
  REQUIRE(picked.size() == 3);
  std::set<std::int32_t> classes;
  for (const auto& p : picked) classes.insert(p.quality_class);
  CHECK(classes.size() == 3);  // 7, 3 and 0 rather than 7 twice
  CHECK(picked[0].quality_class == 7);
}
