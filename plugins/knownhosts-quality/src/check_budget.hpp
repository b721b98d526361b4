// CheckBudget: the signature checks this node spends on records of third parties (each ~0.2 ms
// of Ed25519), bounded node-wide and per sender. With one node-wide bucket alone, one peer
// sending sixteen made-up records with garbage signatures every serve interval took every token
// and every honest peer's records went unchecked (dropped). Each sender (its network as its
// connection shows it, or its id: sender_network.hpp) now draws on a bucket of its own holding a
// `share` of the node's rate and burst, and a check needs a token in both. (A sender that passes on
// a forged record gets no more checks in that exchange: the caller's part, take_records.)
#pragma once
#include <butter/cpp/token_bucket.hpp>
#include <butter/cpp/token_bucket_table.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace butter::knownhosts {

class CheckBudget {
 public:
  // The node's `rate_per_s` and `burst` (full at `now_ms`); each sender gets `share` of both.
  // Senders beyond `max_senders` are forgotten least recently used first (one forgotten comes back
  // with a full bucket of its share: the node-wide bucket still bounds the total).
  CheckBudget(double rate_per_s, double burst, std::uint64_t now_ms, double share = 0.25,
              std::size_t max_senders = 1024);
  // A token from the sender's bucket and the node's, both taken, or none taken and false.
  bool take(const std::string& sender, std::uint64_t now_ms);

 private:
  butter::TokenBucket node_;
  butter::TokenBucketTable senders_;
};

}  // namespace butter::knownhosts
