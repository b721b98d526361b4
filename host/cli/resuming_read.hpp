// Reading a whole object for `butter get` and `butter cat` across answers that break off: a node
// ends a stream whose client took nothing for 30 s (a slow pipe behind `cat`), a holder dies
// mid-stream, the node restarts. Each break is followed by a Range request from the first byte
// not yet verified and written (whole verified blocks only), so a long transfer is not lost to one
// break; what does not heal by asking again (a 4xx, bytes that do not match, a failed write) is
// not asked again.
#pragma once
#include "cli/file_options.hpp"
#include "cli/manifest_check.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace butter::host::cli {

// Requests in a row that bring no new verified block before the command gives up: a node that
// breaks off every time is not asked forever, one that is only slow to come back gets a few tries.
inline constexpr int kMaxRetriesWithoutProgress = 3;
// Every retry, progress or not: an object that comes one block per answer still ends.
inline constexpr int kMaxRetries = 100;
// The pause before a retry doubles with each one in a row without progress, up to the last: time
// for a restarting node to listen again without the command sleeping long on a lasting fault.
inline constexpr std::chrono::milliseconds kFirstRetryDelay{250};
inline constexpr std::chrono::milliseconds kMaxRetryDelay{2000};

// Streams the object from byte `offset` into `out`, verified (object_reader.hpp's read_once), and
// asks again from where it stopped when the answer broke off after it started (unless
// --no-resume), bounded as above, with a note on stderr each time. Returns 0, or 1 with the reason
// printed; `interrupted` when it gave up on answers that broke off (what was verified and written
// is kept); `restarted` when the node ignored the first request's range and `out` must be
// rewritten from byte 0; `written` the bytes written from `offset` on.
int fetch_object(const char* cmd, const FileCommandLine& c, const std::string& id,
                 const std::optional<Manifest>& manifest, std::uint64_t offset, std::FILE* out, bool& restarted,
                 bool& interrupted, std::uint64_t& written);

}  // namespace butter::host::cli
