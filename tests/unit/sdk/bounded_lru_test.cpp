// butter/cpp/bounded_lru.hpp: a map bounded in entries; the least recently used entry makes room,
// lookups by string_view, recency kept by find/get_or_insert but not by peek, and a move that
// keeps the order.
#include <butter/cpp/bounded_lru.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Table = butter::BoundedLru<std::string, int>;

std::vector<std::string> keys_by_recency(const Table& t) {
  std::vector<std::string> out;
  t.for_each([&](const std::string& k, int) { out.push_back(k); });
  return out;
}

}  // namespace

TEST_CASE("bounded lru: the least recently used entry makes room for a new one") {
  Table t(3);
  bool inserted = false;
  t.get_or_insert(
      "a", [] { return 1; }, &inserted);
  CHECK(inserted);
  t.get_or_insert("b", [] { return 2; });
  t.get_or_insert("c", [] { return 3; });
  CHECK(t.get_or_insert(
            "a", [] { return 99; }, &inserted) == 1);  // there: not built again
  CHECK_FALSE(inserted);
  t.get_or_insert("d", [] { return 4; });  // full: b, the least recent, goes
  CHECK(t.size() == 3);
  CHECK(t.evicted() == 1);
  CHECK_FALSE(t.contains("b"));
  CHECK(keys_by_recency(t) == std::vector<std::string>{"d", "a", "c"});
}

TEST_CASE("bounded lru: find makes an entry recent, peek does not") {
  Table t(2);
  t.get_or_insert("a", [] { return 1; });
  t.get_or_insert("b", [] { return 2; });
  REQUIRE(t.peek("a") != nullptr);
  CHECK(*t.peek("a") == 1);
  t.get_or_insert("c", [] { return 3; });  // a was only peeked at: it goes
  CHECK(t.peek("a") == nullptr);
  REQUIRE(t.find(std::string_view("b")) != nullptr);
  *t.find("b") = 20;
  t.get_or_insert("d", [] { return 4; });  // b was found: c goes
  CHECK(t.contains("b"));
  CHECK_FALSE(t.contains("c"));
  CHECK(*t.peek("b") == 20);
  CHECK(t.find("zz") == nullptr);
}

TEST_CASE("bounded lru: erase and clear, and capacity 0 keeps one entry") {
  Table t(0);
  CHECK(t.capacity() == 1);
  t.get_or_insert("a", [] { return 1; });
  t.get_or_insert("b", [] { return 2; });
  CHECK(t.size() == 1);
  CHECK(t.contains("b"));
  CHECK(t.erase("b"));
  CHECK_FALSE(t.erase("b"));
  CHECK(t.empty());
  t.get_or_insert("c", [] { return 3; });
  t.clear();
  CHECK(t.empty());
  CHECK(t.evicted() == 1);  // erase and clear are not evictions
}

TEST_CASE("bounded lru: a moved table keeps its entries and their order") {
  Table t(3);
  for (const char* k : {"a", "b", "c"}) t.get_or_insert(k, [] { return 0; });
  t.find("a");
  Table moved(std::move(t));
  CHECK(keys_by_recency(moved) == std::vector<std::string>{"a", "c", "b"});
  moved.get_or_insert("d", [] { return 4; });  // b goes: the index still points into the list
  CHECK(keys_by_recency(moved) == std::vector<std::string>{"d", "a", "c"});
  CHECK(moved.find("c") != nullptr);
}

TEST_CASE("bounded lru: keys other than strings") {
  butter::BoundedLru<int, std::string> t(2);
  t.get_or_insert(1, [] { return std::string("one"); });
  t.get_or_insert(2, [] { return std::string("two"); });
  t.get_or_insert(3, [] { return std::string("three"); });
  CHECK_FALSE(t.contains(1));
  REQUIRE(t.peek(3) != nullptr);
  CHECK(*t.peek(3) == "three");
}
