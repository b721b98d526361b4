// PortMapping (port_mapping.hpp): whether this node's NAT keeps ports, from peers' reports.
#include "port_mapping.hpp"

#include <catch2/catch.hpp>

#include <string>

using butter::nat::Mapping;
using butter::nat::PortMapping;

TEST_CASE("nat-ambassador port mapping: a quorum of observers decides, one observer one vote") {
  PortMapping m(2, 60000);
  CHECK(m.verdict(0) == Mapping::Unknown);
  m.observe("a", 40000, 40000, 0);
  CHECK(m.verdict(0) == Mapping::Unknown);  // one observer is no quorum
  m.observe("a", 40001, 40001, 1);          // the same observer again: still one vote
  CHECK(m.votes(1) == 1);
  CHECK(m.verdict(1) == Mapping::Unknown);
  m.observe("b", 40002, 40002, 2);
  CHECK(m.verdict(2) == Mapping::Keeps);
  // A NAT that gives each connection its own port.
  PortMapping r(2, 60000);
  r.observe("a", 40000, 51234, 0);
  r.observe("b", 40001, 2049, 0);
  CHECK(r.verdict(0) == Mapping::Varies);
  // An observer's later report replaces its earlier one.
  r.observe("b", 40002, 40002, 1);
  CHECK(r.verdict(1) == Mapping::Unknown);
}

TEST_CASE("nat-ambassador port mapping: a liar outvoted, ties undecided, ports of 0 ignored") {
  PortMapping m(2, 60000);
  m.observe("honest1", 40000, 40000, 0);
  m.observe("honest2", 40001, 40001, 0);
  m.observe("liar", 40002, 1234, 0);
  CHECK(m.verdict(0) == Mapping::Keeps);  // 2 against 1
  m.observe("liar2", 40003, 999, 0);
  CHECK(m.verdict(0) == Mapping::Unknown);  // 2 against 2: no verdict either way
  m.observe("zero", 0, 40000, 0);
  m.observe("zero2", 40000, 0, 0);
  CHECK(m.votes(0) == 4);
}

TEST_CASE("nat-ambassador port mapping: votes expire, and at most kMaxObservers are kept") {
  PortMapping m(2, 1000);
  m.observe("a", 1, 2, 0);
  m.observe("b", 3, 4, 0);
  CHECK(m.verdict(1000) == Mapping::Varies);
  CHECK(m.verdict(1001) == Mapping::Unknown);  // both older than the ttl
  m.expire(1001);
  CHECK(m.votes(1001) == 0);
  for (std::size_t i = 0; i < PortMapping::kMaxObservers + 10; ++i) m.observe("o" + std::to_string(i), 5, 5, 2000 + i);
  CHECK(m.votes(2100) == PortMapping::kMaxObservers);
  CHECK(m.verdict(2100) == Mapping::Keeps);
}
