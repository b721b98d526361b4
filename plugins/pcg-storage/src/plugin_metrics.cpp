// PcgStorage's /metrics: what each counter and gauge means (described once at init), and the
// engine's counters carried over as deltas (sync_metrics, after each batch of engine output).
#include "pcg_plugin.hpp"

namespace butter::pcg {

void PcgStorage::describe_metrics() {
  metrics().describe("pcg_bad_blocks_total", "blocks refused because their hash did not match");
  metrics().describe("pcg_non_member_messages_total", "group messages refused because the sender is not a member");
  metrics().describe("pcg_non_member_recruits_total", "RECRUITs for a held group from a non-member, ignored");
  metrics().describe("pcg_recruits_over_quota_total", "recruits declined because the recruiting peer's quota is full");
  metrics().describe("pcg_reservations_expired_total",
                     "unfinished recruits whose reservation lapsed (no block, or too slow)");
  metrics().describe("pcg_copies_retired_total",
                     "copies dropped after this node left their group, once held at r elsewhere");
  metrics().describe("pcg_retiring_copies",
                     "copies held after leaving their group, kept until confirmed held at r elsewhere");
  metrics().describe("pcg_groups_merged_total", "groups of one object, repaired apart across a partition, joined here");
  metrics().describe("pcg_challenges_sent_total", "possession challenges sent (at recruitment and by audit)");
  metrics().describe("pcg_proofs_passed_total", "possession proofs that matched: the member counts as holding");
  metrics().describe("pcg_proofs_failed_total", "possession proofs that were wrong or said not held: member replaced");
  metrics().describe("pcg_proof_timeouts_total", "challenges unanswered after a retry: member replaced");
  metrics().describe("pcg_challenges_answered_total", "possession challenges this node answered");
  metrics().describe("pcg_challenges_refused_total",
                     "challenges not answered: sender not a member, over its rate, or block not held");
  metrics().describe("pcg_disk_write_failures_total",
                     "copies not stored because the disk write failed (not acknowledged)");
  metrics().describe("pcg_quarantined_objects",
                     "persisted objects not loaded at start (unreadable, bad hash); kept on disk");
  metrics().describe("pcg_restored_objects", "persisted objects loaded at start");
  metrics().describe("pcg_streams_opened_total", "streamed reads opened (butter.storage/3)");
  metrics().describe("pcg_stream_blocks_total", "blocks streamed reads fetched from members, verified");
  metrics().describe("pcg_stream_failovers_total",
                     "blocks a streamed read asked again elsewhere (member timed out, refused, or sent a bad block)");
  metrics().describe("pcg_blocks_served_total", "blocks this node sent to members and readers that asked (FETCH)");
  metrics().describe("pcg_fetches_busy_total", "FETCHes answered AGAIN (busy): a non-member over serve_bytes_per_s");
  metrics().describe("pcg_view_replies_busy_total",
                     "views not sent back to a non-member's VIEW or heartbeat: over serve_bytes_per_s");
  metrics().describe("pcg_locates_busy_total",
                     "LOCATEs answered AGAIN (busy), without manifest or view: a non-member over serve_bytes_per_s");
  metrics().describe("pcg_gets_too_large_total",
                     "whole-object gets failed before fetching: the object is larger than a get returns");
  metrics().describe("pcg_stream_peak_buffered_bytes",
                     "the most verified, undelivered bytes one streamed read held (bounded by its window)");
  metrics().describe("pcg_open_reads", "streamed reads open");
  metrics().describe("pcg_stream_buffered_bytes",
                     "bytes all streamed reads hold or asked for now (bounded by stream_buffer_bytes)");
  metrics().describe("pcg_stream_throttled_total",
                     "times a streamed read waited because all reads together held stream_buffer_bytes");
  metrics().describe("pcg_open_puts", "streamed puts being written");
  metrics().describe("pcg_puts_expired_total",
                     "streamed puts aborted after put_idle_ms without a write (reservation freed)");
  metrics().describe("pcg_put_reserved_bytes", "bytes of the storage budget set aside for streamed puts being written");
  metrics().describe("pcg_streams_failed_total", "streamed reads that ended without their whole range");
  metrics().describe("pcg_over_capacity", "1 when held data exceeds capacity_bytes (new data refused until it falls)");
}

void PcgStorage::sync_metrics() {
  const Stats& s = engine_->stats();
  auto bump = [&](const char* name, std::uint64_t count, std::uint64_t& reported) {
    metrics().counter(name).add_growth(count, reported);
  };
  bump("pcg_puts_total", s.puts, reported_.puts);
  bump("pcg_gets_total", s.gets, reported_.gets);
  bump("pcg_bad_blocks_total", s.bad_blocks, reported_.bad_blocks);
  bump("pcg_bad_messages_total", s.bad_messages, reported_.bad_messages);
  bump("pcg_non_member_messages_total", s.non_member_messages, reported_.non_member_messages);
  bump("pcg_repairs_total", s.repairs, reported_.repairs);
  bump("pcg_groups_merged_total", s.groups_merged, reported_.groups_merged);
  bump("pcg_recruit_requests_total", s.recruit_requests, reported_.recruit_requests);
  bump("pcg_recruit_refused_total", s.recruit_refused, reported_.recruit_refused);
  bump("pcg_recruits_declined_total", s.recruits_declined, reported_.recruits_declined);
  bump("pcg_non_member_recruits_total", s.non_member_recruits, reported_.non_member_recruits);
  bump("pcg_recruits_over_quota_total", s.recruits_over_quota, reported_.recruits_over_quota);
  bump("pcg_reservations_expired_total", s.reservations_expired, reported_.reservations_expired);
  bump("pcg_copies_retired_total", s.copies_retired, reported_.copies_retired);
  bump("pcg_challenges_sent_total", s.challenges_sent, reported_.challenges_sent);
  bump("pcg_proofs_passed_total", s.proofs_passed, reported_.proofs_passed);
  bump("pcg_proofs_failed_total", s.proofs_failed, reported_.proofs_failed);
  bump("pcg_proof_timeouts_total", s.proof_timeouts, reported_.proof_timeouts);
  bump("pcg_challenges_answered_total", s.challenges_answered, reported_.challenges_answered);
  bump("pcg_challenges_refused_total", s.challenges_refused, reported_.challenges_refused);
  bump("pcg_send_failures_total", send_failures_, reported_send_failures_);
  bump("pcg_streams_opened_total", s.streams_opened, reported_.streams_opened);
  bump("pcg_blocks_served_total", s.blocks_served, reported_.blocks_served);
  bump("pcg_fetches_busy_total", s.fetches_busy, reported_.fetches_busy);
  bump("pcg_locates_busy_total", s.locates_busy, reported_.locates_busy);
  bump("pcg_view_replies_busy_total", s.view_replies_busy, reported_.view_replies_busy);
  bump("pcg_gets_too_large_total", s.gets_too_large, reported_.gets_too_large);
  bump("pcg_stream_blocks_total", s.stream_blocks, reported_.stream_blocks);
  bump("pcg_stream_failovers_total", s.stream_failovers, reported_.stream_failovers);
  bump("pcg_streams_failed_total", s.streams_failed, reported_.streams_failed);
  bump("pcg_disk_write_failures_total", disk_.write_failures, disk_.reported_write_failures);
  std::uint64_t sent = 0, reported_sent = 0;  // over every message type
  for (std::size_t i = 0; i < s.sent.size(); ++i) {
    sent += s.sent[i];
    reported_sent += reported_.sent[i];
  }
  bump("pcg_messages_sent_total", sent, reported_sent);
  reported_.sent = s.sent;
  metrics().gauge("pcg_bytes_stored").set(static_cast<double>(engine_->budget().used()));
  metrics().gauge("pcg_capacity_bytes").set(static_cast<double>(engine_->budget().capacity()));
  metrics().gauge("pcg_groups").set(static_cast<double>(engine_->group_count()));
  metrics().gauge("pcg_retiring_copies").set(static_cast<double>(engine_->retiring_count()));
  metrics().gauge("pcg_quarantined_objects").set(static_cast<double>(disk_.quarantined));
  metrics().gauge("pcg_restored_objects").set(static_cast<double>(disk_.restored));
  metrics().gauge("pcg_over_capacity").set(engine_->budget().over_capacity() ? 1.0 : 0.0);
  metrics().gauge("pcg_stream_peak_buffered_bytes").set(static_cast<double>(s.stream_peak_buffered));
  metrics().gauge("pcg_open_reads").set(static_cast<double>(reads_.size()));
  metrics().gauge("pcg_stream_buffered_bytes").set(static_cast<double>(engine_->stream_buffered_bytes()));
  bump("pcg_stream_throttled_total", s.stream_throttled, reported_.stream_throttled);
  metrics().gauge("pcg_open_puts").set(static_cast<double>(puts_.size()));
  metrics().gauge("pcg_put_reserved_bytes").set(static_cast<double>(engine_->budget().aside()));
  bump("pcg_puts_expired_total", puts_expired_, reported_puts_expired_);
  metrics().gauge("pcg_groups_below_r").set(static_cast<double>(engine_->groups_below_r()));
}

}  // namespace butter::pcg
