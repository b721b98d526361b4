// The /butter/dbfs/1 codec: round trips, and every truncation or corruption refused with a reason.
#include "messages.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace butter::dbfs;

namespace {
Query sample_query() {
  Query q;
  q.id = QueryId{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  q.kind = QueryKind::Keywords;
  q.ttl = 5;
  q.hops = 2;
  q.max_results = 10;
  q.terms = {"alpha", "beta"};
  return q;
}
Hits sample_hits() {
  Hits h;
  h.id = QueryId{1, 2};
  h.hops = 3;
  h.hits.push_back(Hit{"obj1", "node1", {"tcp://127.0.0.1:7000"}, {"alpha", "beta"}});
  h.hits.push_back(Hit{"obj2", "node1", {}, {}});
  return h;
}
}  // namespace

TEST_CASE("messages round trip") {
  std::string why;
  auto qb = encode(sample_query());
  CHECK(peek_type(qb.data(), qb.size(), why) == MsgType::Query);
  auto q = decode_query(qb.data(), qb.size(), why);
  REQUIRE(q);
  CHECK(q->id == sample_query().id);
  CHECK(q->kind == QueryKind::Keywords);
  CHECK(q->ttl == 5);
  CHECK(q->hops == 2);
  CHECK(q->max_results == 10);
  CHECK(q->terms == std::vector<std::string>{"alpha", "beta"});

  auto hb = encode(sample_hits());
  auto h = decode_hits(hb.data(), hb.size(), why);
  REQUIRE(h);
  CHECK(h->hops == 3);
  REQUIRE(h->hits.size() == 2);
  CHECK(h->hits[0].endpoints == std::vector<std::string>{"tcp://127.0.0.1:7000"});
  CHECK(h->hits[0].keywords.size() == 2);
  CHECK(h->hits[1].object_id == "obj2");

  auto xb = encode(Extend{QueryId{7, 8}, 4});
  auto x = decode_extend(xb.data(), xb.size(), why);
  REQUIRE(x);
  CHECK(x->id == QueryId{7, 8});
  CHECK(x->ttl == 4);
  CHECK(QueryId{1, 2}.hex() == "00000000000000010000000000000002");
  auto lb = encode_link();
  CHECK(peek_type(lb.data(), lb.size(), why) == MsgType::Link);
  CHECK(decode_link(lb.data(), lb.size(), why));
  CHECK_FALSE(decode_link(lb.data(), lb.size() - 1, why));
  auto ub = encode_unlink();
  CHECK(peek_type(ub.data(), ub.size(), why) == MsgType::Unlink);
  CHECK(decode_unlink(ub.data(), ub.size(), why) == UnlinkKind::Refused);
  CHECK_FALSE(decode_unlink(ub.data(), ub.size() - 1, why));
  auto wb = encode_unlink(UnlinkKind::Withdrawn);
  CHECK(decode_unlink(wb.data(), wb.size(), why) == UnlinkKind::Withdrawn);
  wb[2] = 1;  // an id that means nothing here reads as what every older node meant: a refusal
  CHECK(decode_unlink(wb.data(), wb.size(), why) == UnlinkKind::Refused);
  CHECK_FALSE(decode_link(ub.data(), ub.size(), why));
}

TEST_CASE("messages refuse every truncation and trailing bytes") {
  std::string why;
  for (auto full : {encode(sample_query()), encode(sample_hits()), encode(Extend{QueryId{1, 1}, 1})}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      INFO("length " << n << " of " << full.size());
      CHECK_FALSE(decode_query(full.data(), n, why));
      CHECK_FALSE(decode_hits(full.data(), n, why));
      CHECK_FALSE(decode_extend(full.data(), n, why));
    }
    auto longer = full;
    longer.push_back(0);
    CHECK_FALSE(decode_query(longer.data(), longer.size(), why));
    CHECK_FALSE(decode_hits(longer.data(), longer.size(), why));
    CHECK_FALSE(decode_extend(longer.data(), longer.size(), why));
  }
  {
    auto longer = encode(Extend{QueryId{1, 1}, 1});
    longer.push_back(0);
    CHECK_FALSE(decode_extend(longer.data(), longer.size(), why));
    CHECK(why == "trailing bytes");
  }
  CHECK_FALSE(peek_type(nullptr, 0, why));
}

TEST_CASE("messages refuse bad headers and bad fields") {
  std::string why;
  auto qb = encode(sample_query());
  auto bad = qb;
  bad[0] = 3;  // version
  CHECK_FALSE(peek_type(bad.data(), bad.size(), why));
  CHECK(why.find("version") != std::string::npos);
  bad = qb;
  bad[1] = 9;  // type
  CHECK_FALSE(peek_type(bad.data(), bad.size(), why));
  bad = qb;
  bad[18] = 7;  // kind
  CHECK_FALSE(decode_query(bad.data(), bad.size(), why));
  CHECK(why.find("kind") != std::string::npos);

  Query q = sample_query();
  q.terms.clear();
  auto nb = encode(q);
  CHECK_FALSE(decode_query(nb.data(), nb.size(), why));
  CHECK(why == "no terms");
  q.kind = QueryKind::Object;
  q.terms = {"a", "b"};
  nb = encode(q);
  CHECK_FALSE(decode_query(nb.data(), nb.size(), why));
  q.terms = {""};
  nb = encode(q);
  CHECK_FALSE(decode_query(nb.data(), nb.size(), why));

  // A term count beyond the codec's bound, written by hand.
  q = sample_query();
  q.terms = {"x"};
  auto hand = encode(q);
  hand[hand.size() - 5] = 0x01;  // u16 count high byte: 256 + 1 terms
  CHECK_FALSE(decode_query(hand.data(), hand.size(), why));

  Hits h = sample_hits();
  h.hits.clear();
  auto hb = encode(h);
  CHECK_FALSE(decode_hits(hb.data(), hb.size(), why));  // zero hits is not a message
  std::vector<std::uint8_t> huge(kMaxMessageBytes + 1, 1);
  CHECK_FALSE(peek_type(huge.data(), huge.size(), why));
}

TEST_CASE("fold_case lowercases ASCII only") { CHECK(fold_case("AbC-Ünï") == "abc-Ünï"); }

TEST_CASE("hot swap state round trips and refuses a bad one") {
  SavedState st;
  st.annotations.push_back({"o1", {"a", "b"}});
  st.annotations.push_back({"o2", {}});
  st.outbound = {"n1", "n2"};
  std::string why;
  const std::string bytes = encode_state(st);
  auto back = decode_state(bytes, why);
  REQUIRE(back);
  CHECK(back->annotations == st.annotations);
  CHECK(back->outbound == st.outbound);
  for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(decode_state(bytes.substr(0, n), why));
  CHECK_FALSE(decode_state(bytes + "x", why));
  CHECK_FALSE(decode_state("echo-state/1 hello", why));
}

TEST_CASE("a query with a budget is version 2 and one without is version 1") {
  std::string why;
  Query q = sample_query();
  q.budget = 777;
  auto b2 = encode(q);
  CHECK(b2[0] == kQueryVersionBudget);
  CHECK(b2.size() == encode(sample_query()).size() + 2);
  CHECK(peek_type(b2.data(), b2.size(), why) == MsgType::Query);
  auto d2 = decode_query(b2.data(), b2.size(), why);
  REQUIRE(d2);
  REQUIRE(d2->budget);
  CHECK(*d2->budget == 777);
  CHECK(d2->terms == q.terms);
  CHECK(encode(*d2) == b2);
  // What an older node sends: no budget field; read as such and re-encoded identically.
  auto b1 = encode(sample_query());
  CHECK(b1[0] == kVersion);
  auto d1 = decode_query(b1.data(), b1.size(), why);
  REQUIRE(d1);
  CHECK_FALSE(d1->budget);
  CHECK(encode(*d1) == b1);
  // The largest budget the field holds decodes as is (the receiver clamps it, see budget.hpp).
  q.budget = 0xFFFF;
  auto big = encode(q);
  CHECK(*decode_query(big.data(), big.size(), why)->budget == 0xFFFF);
  // Version 2 is a QUERY's only: other types refuse it.
  auto x = encode(Extend{QueryId{1, 1}, 2});
  x[0] = kQueryVersionBudget;
  CHECK_FALSE(peek_type(x.data(), x.size(), why));
  CHECK(why.find("version") != std::string::npos);
  CHECK_FALSE(decode_extend(x.data(), x.size(), why));
  // A version-1 header over a version-2 body: the budget reads as terms, which does not parse.
  auto mixed = b2;
  mixed[0] = kVersion;
  CHECK_FALSE(decode_query(mixed.data(), mixed.size(), why));
  for (std::size_t n = 0; n < b2.size(); ++n) CHECK_FALSE(decode_query(b2.data(), n, why));
}

TEST_CASE("decoding survives random truncated and oversized messages") {
  // Fuzz-style: mutations of valid version-1 and version-2 queries, hits and extends, plus bytes
  // with oversized length and count fields. A decode either fails with a reason or gives a message
  // that re-encodes to the very same bytes.
  std::mt19937_64 rng(42);
  Query q2 = sample_query();
  q2.budget = 300;
  const std::vector<std::vector<std::uint8_t>> seeds = {encode(sample_query()), encode(q2),
                                                        encode(sample_hits()),  encode(Extend{QueryId{3, 4}, 6}),
                                                        encode_link(),          encode_unlink()};
  std::size_t accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    auto b = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:
          if (!b.empty()) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          b.resize(rng() % (b.size() + 1));
          break;  // truncated
        case 2:
          b.insert(b.end(), rng() % 8, static_cast<std::uint8_t>(rng()));
          break;  // trailing
        case 3:
          if (b.size() > 20) b[19 + rng() % (b.size() - 19)] = 0xFF;
          break;  // oversized field
      }
    }
    std::string why;
    auto t = peek_type(b.data(), b.size(), why);
    if (!t) {
      CHECK_FALSE(why.empty());
      ++refused;
      continue;
    }
    bool ok = false;
    if (*t == MsgType::Query) {
      if (auto q = decode_query(b.data(), b.size(), why)) {
        ok = true;
        REQUIRE(encode(*q) == b);
      }
    } else if (*t == MsgType::Hits) {
      if (auto h = decode_hits(b.data(), b.size(), why)) {
        ok = true;
        REQUIRE(encode(*h) == b);
      }
    } else if (*t == MsgType::Extend) {
      if (auto x = decode_extend(b.data(), b.size(), why)) {
        ok = true;
        REQUIRE(encode(*x) == b);
      }
    } else if (*t == MsgType::Unlink) {
      ok = decode_unlink(b.data(), b.size(), why).has_value();
    } else {
      ok = decode_link(b.data(), b.size(), why);
    }
    if (!ok) REQUIRE_FALSE(why.empty());
    (ok ? accepted : refused) += 1;
  }
  CHECK(accepted > 0);
  CHECK(refused > 0);
  // A budget field cut in half, and a term length far over its bound.
  auto b2 = encode(q2);
  std::string why;
  CHECK_FALSE(decode_query(b2.data(), 24, why));
  auto longterm = b2;
  longterm[27] = 0xFF;  // high byte of the first term's u16 length
  CHECK_FALSE(decode_query(longterm.data(), longterm.size(), why));
}
