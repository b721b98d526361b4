// Reading an object from a running node for `butter get` and `butter cat`, verified on arrival:
// each block is checked against the object's manifest (SHA-256 per block; the id is the manifest's
// SHA-256) before a byte of it is written, and a resumed read must get exactly the bytes it asked for.
#pragma once
#include "cli/file_options.hpp"
#include "cli/manifest_check.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace butter::host::cli {

// The object's manifest, when the node holds it; nullopt and `why` empty when it serves none (a
// 404 that is not the storage's word), `why` set on any other problem: the storage's 404 "nobody
// reachable holds it" (body BUTTER_E_NOT_FOUND...), a 504 (not located in time), a manifest that
// does not hash to the id.
std::optional<Manifest> fetch_manifest(const FileCommandLine& c, const std::string& id, std::string& why);

// How one request for the object ended (resuming_read.hpp decides what comes next).
struct ReadAttempt {
  enum class End {
    complete,    // to the object's end, every byte verified and written
    restarted,   // the node answered a Range request with the whole object and was not to be skipped
    broke_off,   // the answer started and ended before the object's end (closed, failed, cut short)
    unanswered,  // no answer to read: no connection, no head within the timeout, or a 5xx
    refused,     // a 4xx, a head that is not this object's, a block that does not match, a failed write
  };
  End end = End::refused;
  int status = 0;             // the answer's HTTP status, 0 without one
  std::string why;            // what happened, unless complete or restarted
  std::uint64_t written = 0;  // bytes written to `out` by this request, every one verified, from `offset` on
};

// One GET of the object from byte `offset` (a block boundary) into `out`; verifies as it goes and
// writes a byte only once its block matched the manifest (or at once with --unverified), so that
// a request that breaks off leaves `out` ending at a block boundary to ask again from. A 200 to a
// Range request is `restarted` unless `skip_unasked`: then its bytes before `offset` are verified
// and not written again.
ReadAttempt read_once(const FileCommandLine& c, const std::string& id, const std::optional<Manifest>& manifest,
                      std::uint64_t offset, std::FILE* out, bool skip_unasked, const char* cmd);

// The verified prefix of the open .part file `fd`: whole blocks that match the manifest (without
// one, with --unverified, the whole file: the best there is). Read from the descriptor the get
// holds, not by name, so that it is the file the get writes.
std::uint64_t resumable_prefix(int fd, const std::optional<Manifest>& manifest);

// The object is missing its manifest: refused unless the user takes the node's word for it. A HEAD
// tells a missing object (404) from one served without a manifest, for the message. Returns 1.
int no_manifest(const char* cmd, const FileCommandLine& c, const std::string& id);

// Flushes `f` to the disk; false with errno set when that fails.
bool flush_to_disk(std::FILE* f);

}  // namespace butter::host::cli
