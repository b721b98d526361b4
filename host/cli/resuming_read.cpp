// Reading a whole object across answers that break off (resuming_read.hpp).
#include "cli/resuming_read.hpp"

#include "cli/object_reader.hpp"

#include <algorithm>
#include <thread>

namespace butter::host::cli {

namespace {

std::string duration_text(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? std::to_string(t.count() / 1000) + " s" : std::to_string(t.count()) + " ms";
}

}  // namespace

int fetch_object(const char* cmd, const FileCommandLine& c, const std::string& id,
                 const std::optional<Manifest>& manifest, std::uint64_t offset, std::FILE* out, bool& restarted,
                 bool& interrupted, std::uint64_t& written) {
  using End = ReadAttempt::End;
  restarted = false;
  interrupted = false;
  written = 0;
  const bool resume = !c.has("--no-resume");
  int in_a_row = 0;  // retries since the last request that brought a new verified block
  for (int retries = 0; retries <= kMaxRetries; ++retries) {
    const std::uint64_t from = offset + written;
    // A retry's 200 (the node ignoring the range) cannot restart a standard output already
    // written to: its bytes before `from` are skipped instead.
    const ReadAttempt a = read_once(c, id, manifest, from, out, retries > 0, cmd);
    written += a.written;
    if (a.end == End::complete) return 0;
    if (a.end == End::restarted) {
      restarted = true;
      return 0;
    }
    // The first request failing before an answer started is an error to report (no node there,
    // a timeout): only a stream that did start is resumed. After that, a node that does not
    // answer (restarting, its holder gone) may well answer the next request.
    const bool resumable = a.end == End::broke_off || (a.end == End::unanswered && retries > 0);
    if (!resumable) {
      if (a.end == End::unanswered && a.status == 0) return fail(cmd, unreachable(c, a.why));
      return fail(cmd, a.why);
    }
    const std::string verified = std::to_string(offset + written) + " verified bytes";
    if (!resume) {
      interrupted = true;
      return fail(cmd, "interrupted after " + verified + ": " + a.why);
    }
    if (a.written > 0) in_a_row = 0;
    if (in_a_row == kMaxRetriesWithoutProgress || retries == kMaxRetries) {
      interrupted = true;
      return fail(cmd, "interrupted after " + verified + "; retried " + std::to_string(retries) + " times (the last " +
                           std::to_string(in_a_row) + " without a new verified block): " + a.why);
    }
    ++in_a_row;
    const auto delay = std::min(kMaxRetryDelay, kFirstRetryDelay * (1 << (in_a_row - 1)));
    std::fprintf(stderr, "butter %s: interrupted after %s (%s); resuming from there in %s\n", cmd, verified.c_str(),
                 a.why.c_str(), duration_text(delay).c_str());
    // A pause before asking again, not a wait for anything: the node gives no sign when it is back.
    std::this_thread::sleep_for(delay);
  }
  return fail(cmd, "interrupted after " + std::to_string(offset + written) + " verified bytes");  // not reached
}

}  // namespace butter::host::cli
