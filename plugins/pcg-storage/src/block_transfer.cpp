// The blocks of one object fetched from other nodes (see block_transfer.hpp).
#include "block_transfer.hpp"

#include "deadlines.hpp"

#include <butter/status.h>

#include <algorithm>
#include <optional>

namespace butter::pcg {

void BlockTransfer::expect(std::size_t n) {
  *this = BlockTransfer{};
  blocks_.assign(n, {});
  have_.assign(n, false);
}

void BlockTransfer::hold_all(std::vector<std::vector<std::uint8_t>> blocks) {
  blocks_ = std::move(blocks);
  have_.assign(blocks_.size(), true);
  have_count_ = blocks_.size();
  first_missing_ = static_cast<std::uint32_t>(blocks_.size());
  fetching_.clear();
}

bool BlockTransfer::asked(std::uint32_t i, const Hash& from) const {
  auto it = fetching_.find(i);
  return it != fetching_.end() && it->second.from == from;
}

bool BlockTransfer::pump(FetchNode& node, const Manifest& m, const Hash& object, const std::vector<Hash>& sources,
                         std::uint64_t now, Output& out) {
  if (sources.empty()) return have_count_ == m.blocks.size();
  const Config& cfg = node.config();
  bool ok = true;
  for (auto it = busy_until_.begin(); it != busy_until_.end();)
    it = now >= it->second ? busy_until_.erase(it) : std::next(it);
  for (std::uint32_t i = first_missing_; i < m.blocks.size() && fetching_.size() < cfg.fetch_window; ++i) {
    ++pump_steps_;
    if (have_[i] || fetching_.count(i)) continue;
    const auto failed = tried_.find(i);  // not tried_[i]: that would keep an empty set per block asked
    const std::set<Hash>* tried = failed == tried_.end() ? nullptr : &failed->second;
    std::optional<Hash> src;
    bool busy = false;  // an untried source is only busy (AGAIN): wait for it, do not fail
    // Spread blocks over sources: start at a different one for each block.
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const Hash& s = sources[(i + k) % sources.size()];
      if (tried && tried->count(s)) continue;
      if (busy_until_.count(s)) {
        busy = true;
        continue;
      }
      src = s;
      break;
    }
    if (!src) {
      ok = ok && busy;
      continue;
    }
    // Requests queued at one member wait behind each other: later ones get a share of the
    // timeout more each (as a read's, without its jitter), up to twice the timeout.
    std::uint64_t queued = 0;
    for (const auto& [j, f] : fetching_) queued += f.from == *src;
    fetching_[i] = Fetch{*src, queued_deadline(now, cfg.request_timeout_ms, queued, cfg.fetch_window), now};
    Message f;
    f.type = MsgType::Fetch;
    f.object = object;
    f.index = i;
    node.send(out, *src, f);
  }
  return ok;
}

bool BlockTransfer::accept(FetchNode& node, const Manifest& m, const Hash& from, const Message& msg,
                           std::uint64_t now) {
  auto it = fetching_.find(msg.index);
  if (it == fetching_.end() || it->second.from != from) return false;  // late or unasked: ignored
  fetching_.erase(it);
  if (msg.status == BUTTER_E_AGAIN) {
    // Over its serve rate: not a failure of the source or of the block. Others first, it later.
    if (busy_until_.size() < kMaxBusySources)
      busy_until_[from] = now + jittered(retry_wait(0, node.config().request_timeout_ms), node.random());
    return false;
  }
  if (msg.status != BUTTER_OK) {
    tried_[msg.index].insert(from);
    return false;
  }
  if (!verify_block(m, msg.index, msg.data)) {
    node.count_bad_block();
    tried_[msg.index].insert(from);
    return false;
  }
  store(msg.index, msg.data);
  progress(from, now, node.config().request_timeout_ms);
  return true;
}

bool BlockTransfer::accept_late(FetchNode& node, const Manifest& m, const Hash& from, const Message& msg,
                                std::uint64_t now) {
  // Only a block still lacking, from a source asked for it before (the request timed out: it is
  // in `tried`), and that matches the manifest: the work it took is not thrown away and asked of
  // someone else.
  if (msg.status != BUTTER_OK || msg.index >= have_.size() || have_[msg.index]) return false;
  auto tried = tried_.find(msg.index);
  if (tried == tried_.end() || !tried->second.count(from) || !verify_block(m, msg.index, msg.data)) return false;
  store(msg.index, msg.data);
  fetching_.erase(msg.index);  // asked again elsewhere meanwhile: that answer is now late
  progress(from, now, node.config().request_timeout_ms);
  return true;
}

void BlockTransfer::expire(std::uint64_t now) {
  for (auto it = fetching_.begin(); it != fetching_.end();) {
    if (now >= it->second.deadline) {
      tried_[it->first].insert(it->second.from);
      it = fetching_.erase(it);
    } else {
      ++it;
    }
  }
}

void BlockTransfer::credit_pause(std::uint64_t pause_ms, std::uint64_t request_timeout_ms) {
  for (auto& [i, f] : fetching_)
    f.deadline =
        std::min(f.deadline + pause_ms, std::max(f.deadline, f.issued + kMaxFetchStretch * request_timeout_ms));
}

void BlockTransfer::store(std::uint32_t i, const std::vector<std::uint8_t>& data) {
  blocks_[i] = data;
  have_[i] = true;
  ++have_count_;
  while (first_missing_ < have_.size() && have_[first_missing_]) ++first_missing_;
}

void BlockTransfer::progress(const Hash& from, std::uint64_t now, std::uint64_t request_timeout_ms) {
  for (auto& [i, f] : fetching_)
    if (f.from == from) f.deadline = extended_deadline(f.deadline, f.issued, now, request_timeout_ms);
}

}  // namespace butter::pcg
