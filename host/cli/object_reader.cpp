// Reading an object from a node, verified on arrival (object_reader.hpp).
#include "cli/object_reader.hpp"

#include "cli/progress.hpp"

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace butter::host::cli {

namespace {

constexpr std::size_t kMaxManifest = 40u * 1024 * 1024;  // 2^20 blocks of 32 bytes, keywords, header

std::string object_not_found(const FileCommandLine& c, const std::string& id) {
  return "object " + id + " not found: no node reachable from " + c.url + " holds it";
}

bool etag_matches(const ClientResponse& r, const std::string& id) {
  std::string e = r.header("ETag");
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e == id;
}

// "bytes S-E/T" of a 206; false when it is not that.
bool parse_content_range(const std::string& v, std::uint64_t& start, std::uint64_t& end, std::uint64_t& total) {
  unsigned long long s = 0, e = 0, t = 0;
  char tail = 0;
  if (std::sscanf(v.c_str(), "bytes %llu-%llu/%llu%c", &s, &e, &t, &tail) != 3) return false;
  if (v.rfind("bytes ", 0) != 0 || s > e || e >= t) return false;
  start = s, end = e, total = t;
  return true;
}

// What a 200 or 206 must say for it to be the object from `offset`: the ETag names the id, a 206
// names exactly bytes offset..size-1 of size, and the length matches the manifest's. "" when fine.
std::string check_answer_head(const ClientResponse& res, const std::string& id, const std::optional<Manifest>& manifest,
                              std::uint64_t offset) {
  if (!etag_matches(res, id)) return "the node's ETag \"" + res.header("ETag") + "\" does not name " + id;
  if (res.status == 206) {
    std::uint64_t s = 0, e = 0, t = 0;
    const std::string cr = res.header("Content-Range");
    if (!parse_content_range(cr, s, e, t))
      return "the node's Content-Range \"" + cr + "\" is not \"bytes START-END/TOTAL\"";
    if (s != offset || e + 1 != t || (manifest && t != manifest->size) ||
        (res.content_length && *res.content_length != e - s + 1)) {
      return "the node answered range \"" + cr + "\" to a request for bytes " + std::to_string(offset) + "- of " +
             (manifest ? std::to_string(manifest->size) : std::string("the object"));
    }
  } else if (manifest && res.content_length && *res.content_length != manifest->size) {
    return "the node sends " + std::to_string(*res.content_length) + " bytes for an object of " +
           std::to_string(manifest->size);
  }
  return {};
}

}  // namespace

std::optional<Manifest> fetch_manifest(const FileCommandLine& c, const std::string& id, std::string& why) {
  ClientRequest req;
  req.target = "/storage/" + id + "/manifest";
  ClientResponse res;
  std::string bytes;
  auto sink = [&bytes](std::string_view piece) {
    if (bytes.size() + piece.size() > kMaxManifest) return false;
    bytes.append(piece);
    return true;
  };
  if (!exchange(c.node, req, res, sink, why, c.timeout)) {
    why = unreachable(c, why);
    return std::nullopt;
  }
  if (res.status == 404 && res.body.rfind("BUTTER_E_NOT_FOUND", 0) == 0) {
    // The storage's own verdict (pcg-storage says so only once every node it asked answered and
    // its search ended), not a node without the route: asking for the object too would only
    // locate it again, as long again, for the same answer.
    why = object_not_found(c, id);
    return std::nullopt;
  }
  if (res.status == 404 || res.status == 400) return std::nullopt;
  if (res.status == 504) {
    why = "object " + id + " not located in time, the node was still looking (" + said(res) + "); try again";
    return std::nullopt;
  }
  if (res.status != 200) {
    why = "the manifest: " + said(res);
    return std::nullopt;
  }
  return parse_manifest(bytes, id, why);
}

ReadAttempt read_once(const FileCommandLine& c, const std::string& id, const std::optional<Manifest>& manifest,
                      std::uint64_t offset, std::FILE* out, bool skip_unasked, const char* cmd) {
  ClientRequest req;
  req.target = "/storage/" + id;
  if (offset > 0) req.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
  ClientResponse res;
  ReadAttempt a;
  std::optional<BlockVerifier> verifier;
  std::optional<Progress> progress;
  std::uint64_t at = offset;   // the object's byte that pending's first byte is
  std::uint64_t received = 0;  // bytes of the answer's body
  std::string pending;         // received, not yet verified: at most one block
  std::string bad;
  bool started = false, restarted = false;
  auto start = [&]() -> bool {
    started = true;
    std::uint64_t from = offset;
    if (res.status == 200 && offset > 0) {
      // The node does not do ranges for this object (it fetched it whole): the caller starts
      // over, or the bytes before `offset` are verified again and not written twice.
      if (!skip_unasked) {
        restarted = true;
        return false;
      }
      from = 0;
    }
    // Refused before a byte is written: the bytes would not be this object.
    bad = check_answer_head(res, id, manifest, from);
    if (!bad.empty()) return false;
    if (res.status == 206) {
      std::fprintf(stderr, "butter %s: the node sent %s (206 Partial Content)\n", cmd,
                   res.header("Content-Range").c_str());
    }
    if (manifest) verifier.emplace(*manifest, from);
    progress.emplace(id.substr(0, 8), res.content_length ? from + *res.content_length : 0, from);
    at = from;
    return true;
  };
  // Bytes from `at` on, all verified; those before `offset` are out already.
  auto emit = [&](std::string_view bytes) {
    const auto before = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), offset > at ? offset - at : 0));
    at += bytes.size();
    bytes.remove_prefix(before);
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
      bad = std::string(out == stdout ? "cannot write to standard output: " : "cannot write: ") + std::strerror(errno);
      return false;
    }
    a.written += bytes.size();
    return true;
  };
  auto sink = [&](std::string_view piece) {
    if (!started && !start()) return false;
    progress->add(piece.size());
    received += piece.size();
    if (!verifier) return emit(piece);
    // A piece may end blocks that match before one that does not: those still go out.
    const bool good = verifier->feed(piece, bad);
    pending.append(piece);
    // Whatever lies before the end of the last block that matched goes out; the rest waits.
    const std::uint64_t ready = verifier->verified() - at;
    if (ready > 0) {
      if (!emit(std::string_view(pending).substr(0, static_cast<std::size_t>(ready)))) return false;
      pending.erase(0, static_cast<std::size_t>(ready));
    }
    return good;
  };
  auto ended = [&a](ReadAttempt::End end, std::string why) {
    a.end = end;
    a.why = std::move(why);
    return a;
  };
  using End = ReadAttempt::End;
  std::string why;
  const bool ok = exchange(c.node, req, res, sink, why, c.timeout);
  a.status = res.status;
  if (!ok && res.status == 0) return ended(End::unanswered, why);
  if (restarted) return ended(End::restarted, "");
  if (res.status == 404) return ended(End::refused, object_not_found(c, id));
  if (res.status == 416 && manifest && offset == manifest->size) return ended(End::complete, "");  // already whole
  if (res.status >= 500) return ended(End::unanswered, "the node answered " + said(res));
  if (res.status != 200 && res.status != 206) return ended(End::refused, "the node answered " + said(res));
  if (!started && ok && !start()) return restarted ? ended(End::restarted, "") : ended(End::refused, bad);
  if (!bad.empty()) return ended(End::refused, bad + "; no byte from there on was written");
  if (!ok) return ended(End::broke_off, why);
  if (res.content_length && received != *res.content_length) {
    return ended(End::broke_off, "the answer ended after " + std::to_string(received) + " of " +
                                     std::to_string(*res.content_length) + " bytes");
  }
  if (verifier && !verifier->complete()) {
    return ended(End::broke_off, "the object ended at byte " + std::to_string(verifier->offset()) +
                                     " of the manifest's " + std::to_string(manifest->size));
  }
  progress->finish();
  return ended(End::complete, "");
}

std::uint64_t resumable_prefix(int fd, const std::optional<Manifest>& manifest) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return 0;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (!manifest) return size;
  BlockVerifier v(*manifest, 0);
  std::vector<char> buf(manifest->block_size);
  std::uint64_t good = 0;
  std::string why;
  while (good < std::min<std::uint64_t>(size, manifest->size)) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(manifest->block_size, manifest->size - good));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, buf.data() + got, want - got, static_cast<off_t>(good + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got < want) break;
    if (!v.feed(std::string_view(buf.data(), want), why)) break;
    good += want;
  }
  return good;
}

int no_manifest(const char* cmd, const FileCommandLine& c, const std::string& id) {
  ClientRequest head;
  head.method = "HEAD";
  head.target = "/storage/" + id;
  ClientResponse res;
  std::string why;
  if (exchange(c.node, head, res, nullptr, why, c.timeout) && res.status == 404) {
    return fail(cmd, object_not_found(c, id));
  }
  return fail(cmd, "the node serves no manifest for " + id +
                       ", so its bytes cannot be verified; nothing was written (--unverified accepts them on the "
                       "node's Content-Length and ETag alone)");
}

bool flush_to_disk(std::FILE* f) { return std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0; }

}  // namespace butter::host::cli
