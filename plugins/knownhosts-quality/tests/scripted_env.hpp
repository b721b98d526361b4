// ScriptedEnv: a MembershipEnv for the engine tests of hostile peers. Time is a field the test
// moves; connections are the `links` it lists (with the remote address the transport would
// report); a record verifies unless its signature is the forged mark (forged_record_of); every
// exchange sent, protection and metric is recorded. Header-only and outside any anonymous
// namespace, so several test files of one unity batch share it.
#pragma once
#include "membership_engine.hpp"
#include "record_fixtures.hpp"

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace butter::knownhosts::test_fixtures {

inline constexpr std::uint8_t kForgedMark = 0xEE;

// Node i's record with a signature that does not verify (a made-up record).
inline PeerRecord forged_record_of(unsigned i, std::uint64_t issued = kUnix) {
  PeerRecord r = record_of(i, issued);
  r.signature.fill(kForgedMark);
  return r;
}

// Node i's record naming `endpoints` (any address it likes: it signs what it wants).
inline PeerRecord record_naming(unsigned i, const std::vector<std::string>& endpoints, std::uint64_t issued = kUnix) {
  return make_record(key_of(i), issued, issued, endpoints,
                     [](const std::vector<std::uint8_t>&) { return std::array<std::uint8_t, 64>{}; });
}

class ScriptedEnv final : public MembershipEnv {
 public:
  explicit ScriptedEnv(unsigned self) : self_(self) {}
  std::uint64_t now = 1000;
  std::vector<PeerLink> links;
  bool sends_fail = false;  // send_exchange says it cannot send (no route to the host)
  struct Sent {
    std::string to;
    bool want_neighbour = false;
  };
  std::vector<Sent> sent;  // every exchange sent, in order
  std::set<std::string> protected_ids;
  std::array<std::uint64_t, static_cast<std::size_t>(Metric::Count_)> counted{};
  std::size_t verified = 0;  // signature checks made

  std::uint64_t now_ms() override { return now; }
  std::uint64_t unix_ms() override { return kUnix + now; }
  std::vector<PeerLink> peers() override { return links; }
  ConnLimits conn_limits() override { return {8, 64, links.size()}; }
  std::vector<std::string> own_endpoints() override { return {endpoint_of(self_)}; }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_of(self_); }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord& rec) override {
    ++verified;
    return rec.signature[0] != kForgedMark;
  }
  bool send_probe(const std::string&, const std::vector<std::uint8_t>&, std::string&) override { return true; }
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>&, bool want_neighbour,
                     std::string& error) override {
    sent.push_back({id, want_neighbour});
    if (sends_fail) error = "no route";
    return !sends_fail;
  }
  void protect(const std::string& id) override { protected_ids.insert(id); }
  void unprotect(const std::string& id) override { protected_ids.erase(id); }
  void schedule_exchange(std::uint64_t) override {}
  void count(Metric m, std::uint64_t n) override { counted[static_cast<std::size_t>(m)] += n; }
  std::uint64_t counted_of(Metric m) const { return counted[static_cast<std::size_t>(m)]; }

  // Node i connected from `remote` (its own endpoint when empty).
  void connect(unsigned i, const std::string& remote = {}) {
    links.push_back({id_of(i), remote.empty() ? endpoint_of(i) : remote, {endpoint_of(i)}});
  }

 private:
  unsigned self_;
};

// A peer's exchange carrying `records`, optionally asking to be our neighbour, as node `from` sends it.
inline EngineReply exchange_from(MembershipEngine& node, unsigned from, const std::vector<PeerRecord>& records,
                                 bool neighbour = false) {
  Exchange e;
  e.neighbour = neighbour;
  for (const auto& r : records) e.records.push_back(r.encode());
  const auto b = encode_exchange(e);
  return node.handle_exchange(id_of(from), b.data(), b.size());
}

}  // namespace butter::knownhosts::test_fixtures
