// When to ping, and whether to answer: the traffic policy of multicast discovery, as pure logic
// over a millisecond clock so that it is tested without sockets or sleeps.
//
// PingSchedule: the first ping goes at once; while the node knows nobody it pings fast
// (fast_ms, doubling up to 8 x fast_ms so that a lonely node does not flood the LAN); once it
// knows peers it backs off, doubling up to slow_ms; when it becomes isolated again it goes back
// to fast at once.
//
// AnswerPolicy: a PING is answered by unicast PONG only when the asker is cold (knows nobody) or
// is new to us; each source address that was answered is answered at most once per quiet period
// (one that got nothing may be answered at its next ping); and unicast answers are bounded by a
// token bucket of the node's, whatever the number of addresses asking. When the bucket is empty —
// a crowd joining at once — one multicast ANNOUNCE (not answered by anybody) replaces all the
// unicast answers for that period, so N joiners cost O(N) datagrams rather than O(N^2). A PING
// that may not be answered by unicast (our PONG would not fit the size bound of beacon.hpp: the
// asker sent a PING smaller than our endpoints) takes the same ANNOUNCE path: it reaches the
// asker, and only over the LAN.
//
// The quiet period is keyed on the IP address the PING came from, not on the node id it claims
// nor its source port: both are the sender's to choose, and a PING with a forged source address
// and a fresh id each time was answered every time — a PONG sent to whoever the forger named. The
// address is the forger's to choose too, but it is where the answer goes: keyed on it, one
// address gets at most one PONG per quiet period from each node. Nodes sharing an address (several
// on one host) are answered one per quiet period; they hear each other's PINGs anyway, and a node
// that hears a PING adds the pinger as a candidate and probes it.
#pragma once
#include <butter/cpp/token_bucket.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace butter::discovery {

class PingSchedule {
 public:
  PingSchedule(std::uint64_t fast_ms, std::uint64_t slow_ms) : fast_ms_(fast_ms), slow_ms_(slow_ms) {}
  // Delay until the next ping, after one was just sent, given whether peers are known now.
  std::uint64_t next_delay(bool peers_known);
  // True when the node just became isolated: the caller should ping now.
  bool became_isolated(bool peers_known);

 private:
  std::uint64_t fast_ms_, slow_ms_;
  std::uint64_t current_ = 0;
  bool had_peers_ = false;
};

enum class Answer { None, Unicast, Announce };

class AnswerPolicy {
 public:
  // answers_per_s: bucket refill rate (and burst size); quiet_ms: per-address silence period.
  AnswerPolicy(double answers_per_s, std::uint64_t quiet_ms)
      : bucket_(answers_per_s, answers_per_s, 0), quiet_ms_(quiet_ms) {}

  // source_address: the IP address the PING came from (no port); sender_cold: its cold flag;
  // sender_known: whether our cache holds the node id it claims; may_unicast: whether a PONG
  // within the size bound would carry our endpoints (when not, only an ANNOUNCE answers).
  Answer on_ping(const std::string& source_address, bool sender_cold, bool sender_known, std::uint64_t now_ms,
                 bool may_unicast = true);
  std::uint64_t suppressed() const { return suppressed_; }

 private:
  butter::TokenBucket bucket_;
  std::uint64_t quiet_ms_;
  std::uint64_t last_announce_ = 0;
  bool announced_ = false;
  std::map<std::string, std::uint64_t> last_answered_;  // by source address; bounded by the bucket
  std::uint64_t suppressed_ = 0;
};

}  // namespace butter::discovery
