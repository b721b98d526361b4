// butter put / get / cat / search: files in and out of a running node's storage through its local
// HTTP API (pcg-storage's /storage routes, ir-dbfs's /search). Files are streamed both ways, never
// held in memory; what comes back is checked against the object's manifest (each block's SHA-256;
// the id is the manifest's SHA-256) and a byte is written out only once its block matched. Without
// a manifest nothing is written unless --unverified says to take the node's word (Content-Length
// and ETag only). `get` writes FILE.part, fsyncs it and renames it when complete and verified,
// never over an existing FILE without --force; a .part left by an interrupted get is resumed with
// a Range request whose 206 must name exactly the bytes asked for.
#include "cli/cli.hpp"
#include "cli/manifest_check.hpp"
#include "cli/node_client.hpp"
#include "cli/progress.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

namespace butter::host {

namespace fs = std::filesystem;
using namespace cli;

namespace {

constexpr std::size_t kMaxManifest = 40u * 1024 * 1024;  // 2^20 blocks of 32 bytes, keywords, header

int fail(const char* cmd, const std::string& what) {
  std::fprintf(stderr, "butter %s: %s\n", cmd, what.c_str());
  return 1;
}

// Common options: --node URL; the rest stays in `args`.
struct Common {
  NodeAddress node;
  std::string url = kDefaultNodeUrl;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> options;  // "--keywords" -> "a,b", "-o" -> "x"
  std::vector<std::string> flags;                             // "--force", "--unverified"
  std::chrono::milliseconds timeout = kDefaultTimeout;       // --timeout SECONDS
  bool timeout_given = false;
  bool has(const std::string& flag) const { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }
};

// Parses argv after the command name; `valued` lists the options that take a value, `flags` those
// that do not. --node URL and --timeout SECONDS are common to all.
bool parse_common(int argc, char** argv, const std::vector<std::string>& valued, Common& c, std::string& why,
                  const std::vector<std::string>& flags = {}) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
      c.flags.push_back(a);
      continue;
    }
    const bool takes = a == "--node" || a == "--timeout" || std::find(valued.begin(), valued.end(), a) != valued.end();
    if (takes) {
      if (i + 1 >= argc) {
        why = a + " needs a value";
        return false;
      }
      std::string v = argv[++i];
      if (a == "--node") {
        c.url = v;
      } else if (a == "--timeout") {
        char* end = nullptr;
        errno = 0;
        const double secs = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || errno != 0 || !(secs > 0) || secs > 86400) {
          why = "--timeout takes seconds, more than 0 and at most 86400 (got \"" + v + "\")";
          return false;
        }
        c.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000 + 0.5));
        c.timeout_given = true;
        if (c.timeout.count() == 0) c.timeout = std::chrono::milliseconds(1);
      } else {
        c.options.emplace_back(a, v);
      }
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      why = "unknown option " + a;
      return false;
    } else {
      c.args.push_back(a);
    }
  }
  auto node = parse_node_url(c.url, why);
  if (!node) return false;
  c.node = *node;
  return true;
}

std::string option(const Common& c, const std::string& name) {
  for (const auto& [k, v] : c.options) {
    if (k == name) return v;
  }
  return {};
}

std::string percent_encode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(digits[ch >> 4]);
      out.push_back(digits[ch & 15]);
    }
  }
  return out;
}

bool valid_id(std::string& id) {
  if (id.size() != 64) return false;
  for (auto& ch : id) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

std::string unreachable(const Common& c, const std::string& why) {
  return why + " (is a node running there? `butter run` serves " + std::string(kDefaultNodeUrl) +
         " by default; point to another with --node " + c.url + ")";
}

// What the node said, for an error message: its status and first line.
std::string said(const ClientResponse& r) {
  std::string body = r.body.substr(0, r.body.find('\n'));
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

// The object's manifest, when the node holds it; nullopt and `why` empty when it does not (404),
// `why` set on any other problem (a manifest that does not hash to the id among them).
std::optional<Manifest> fetch_manifest(const Common& c, const std::string& id, std::string& why) {
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
  if (res.status == 404 || res.status == 400) return std::nullopt;
  if (res.status != 200) {
    why = "the manifest: " + said(res);
    return std::nullopt;
  }
  return parse_manifest(bytes, id, why);
}

bool etag_matches(const ClientResponse& r, const std::string& id) {
  std::string e = r.header("ETag");
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e == id;
}

const char* kPutUsage =
    "usage: butter put FILE [--keywords a,b] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Stores FILE in the node's storage (streamed, never read whole into memory) and prints its\n"
    "object id. The id is checked against the manifest the node stored and FILE's blocks against\n"
    "it. --keywords makes the object findable with `butter search`. --node defaults to\n"
    "http://127.0.0.1:8700. Exit status 1 with the reason on errors (507: the node has no room).\n";

const char* kGetUsage =
    "usage: butter get ID [-o FILE] [--force] [--unverified] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Writes object ID to FILE (default: ./ID) through FILE.part, fsynced and renamed once complete\n"
    "and every block matched the object's manifest. FILE is not overwritten unless --force. A node\n"
    "that serves no manifest is refused unless --unverified (then only the length and ETag are\n"
    "checked, which the node itself answers). An interrupted get leaves FILE.part; the same\n"
    "command resumes it (Range request). --timeout: the most seconds any step may go without\n"
    "progress (default 60).\n";

const char* kCatUsage =
    "usage: butter cat ID [--unverified] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Writes object ID to standard output, verified as `butter get` does: each block goes out only\n"
    "once it matched the manifest (a block that does not stops the output with exit status 1).\n";

const char* kSearchUsage =
    "usage: butter search WORD... [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Asks the node's search (ir-dbfs) for objects with all these keywords and prints one hit per\n"
    "line: object id, holder node, keywords.\n";

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  }
  return false;
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
    if (!parse_content_range(cr, s, e, t)) return "the node's Content-Range \"" + cr + "\" is not \"bytes START-END/TOTAL\"";
    if (s != offset || e + 1 != t || (manifest && t != manifest->size) ||
        (res.content_length && *res.content_length != e - s + 1)) {
      return "the node answered range \"" + cr + "\" to a request for bytes " + std::to_string(offset) + "- of " +
             (manifest ? std::to_string(manifest->size) : std::string("the object"));
    }
  } else if (manifest && res.content_length && *res.content_length != manifest->size) {
    return "the node sends " + std::to_string(*res.content_length) + " bytes for an object of " + std::to_string(manifest->size);
  }
  return {};
}

// Streams the object from byte `offset` into `out`; verifies as it goes and writes a byte only once
// its block matched the manifest (or at once with --unverified). Returns 0, or 1 with the reason
// printed; `interrupted` when the transfer broke off (what was verified and written is kept).
int fetch_object(const char* cmd, const Common& c, const std::string& id, const std::optional<Manifest>& manifest,
                 std::uint64_t offset, std::FILE* out, bool& restarted, bool& interrupted, std::uint64_t& written) {
  ClientRequest req;
  req.target = "/storage/" + id;
  if (offset > 0) req.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
  ClientResponse res;
  std::optional<BlockVerifier> verifier;
  std::optional<Progress> progress;
  std::string pending;  // received, not yet verified: at most one block
  std::string bad;
  bool started = false;
  restarted = false;
  interrupted = false;
  written = 0;
  auto start = [&]() -> bool {
    started = true;
    if (res.status == 200 && offset > 0) {
      // The node does not do ranges for this object (it fetched it whole): the caller starts over.
      restarted = true;
      return false;
    }
    // Refused before a byte is written: the bytes would not be this object.
    bad = check_answer_head(res, id, manifest, offset);
    if (!bad.empty()) return false;
    if (res.status == 206) {
      std::fprintf(stderr, "butter %s: the node sent %s (206 Partial Content)\n", cmd, res.header("Content-Range").c_str());
    }
    if (manifest) verifier.emplace(*manifest, offset);
    progress.emplace(id.substr(0, 8), res.content_length ? offset + *res.content_length : 0, offset);
    return true;
  };
  auto emit = [&](std::string_view bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
      bad = std::string("cannot write: ") + std::strerror(errno);
      return false;
    }
    written += bytes.size();
    return true;
  };
  auto sink = [&](std::string_view piece) {
    if (!started && !start()) return false;
    progress->add(piece.size());
    if (!verifier) return emit(piece);
    // A piece may end blocks that match before one that does not: those still go out.
    const bool good = verifier->feed(piece, bad);
    pending.append(piece);
    // Whatever lies before the end of the last block that matched goes out; the rest waits.
    const std::uint64_t ready = verifier->verified() - offset - written;
    if (ready > 0) {
      if (!emit(std::string_view(pending).substr(0, static_cast<std::size_t>(ready)))) return false;
      pending.erase(0, static_cast<std::size_t>(ready));
    }
    return good;
  };
  std::string why;
  const bool ok = exchange(c.node, req, res, sink, why, c.timeout);
  if (!ok && res.status == 0) return fail(cmd, unreachable(c, why));
  if (restarted) return 0;
  if (res.status == 404) return fail(cmd, "object " + id + " not found: no node reachable from " + c.url + " holds it");
  if (res.status == 416 && manifest && offset == manifest->size) return 0;  // the .part was already whole
  if (res.status != 200 && res.status != 206) return fail(cmd, "the node answered " + said(res));
  if (!started && ok && !start()) return fail(cmd, bad);
  if (!bad.empty()) return fail(cmd, bad + "; no byte from there on was written");
  if (!ok) {
    interrupted = true;
    return fail(cmd, "interrupted after " + std::to_string(offset + written) + " verified bytes: " + why);
  }
  if (res.content_length && written + pending.size() != *res.content_length) {
    interrupted = true;
    return fail(cmd, "the answer ended after " + std::to_string(written + pending.size()) + " of " +
                         std::to_string(*res.content_length) + " bytes");
  }
  if (verifier && !verifier->complete()) {
    return fail(cmd, "the object ended at byte " + std::to_string(verifier->offset()) + " of the manifest's " +
                         std::to_string(manifest->size));
  }
  progress->finish();
  return 0;
}

// The verified prefix of a .part file: whole blocks that match the manifest (without one, with
// --unverified, the whole file: the best there is).
std::uint64_t resumable_prefix(const fs::path& part, const std::optional<Manifest>& manifest) {
  std::error_code ec;
  const auto size = fs::file_size(part, ec);
  if (ec || size == 0) return 0;
  if (!manifest) return size;
  std::ifstream in(part, std::ios::binary);
  BlockVerifier v(*manifest, 0);
  std::vector<char> buf(manifest->block_size);
  std::uint64_t good = 0;
  std::string why;
  while (good < std::min<std::uint64_t>(size, manifest->size)) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(manifest->block_size, manifest->size - good));
    if (!in.read(buf.data(), static_cast<std::streamsize>(want))) break;
    if (!v.feed(std::string_view(buf.data(), want), why)) break;
    good += want;
  }
  return good;
}

// The object is missing its manifest: refused unless the user takes the node's word for it. A HEAD
// tells a missing object (404) from one served without a manifest, for the message.
int no_manifest(const char* cmd, const Common& c, const std::string& id) {
  ClientRequest head;
  head.method = "HEAD";
  head.target = "/storage/" + id;
  ClientResponse res;
  std::string why;
  if (exchange(c.node, head, res, nullptr, why, c.timeout) && res.status == 404) {
    return fail(cmd, "object " + id + " not found: no node reachable from " + c.url + " holds it");
  }
  return fail(cmd, "the node serves no manifest for " + id +
                       ", so its bytes cannot be verified; nothing was written (--unverified accepts them on the "
                       "node's Content-Length and ETag alone)");
}

// Flushes `f` to the disk; false with errno set when that fails.
bool flush_to_disk(std::FILE* f) { return std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0; }

}  // namespace

int put_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kPutUsage, stdout), 0;
  Common c;
  std::string why;
  if (!parse_common(argc, argv, {"--keywords"}, c, why) || c.args.size() != 1) {
    std::fprintf(stderr, "butter put: %s\n\n%s", why.empty() ? "one FILE" : why.c_str(), kPutUsage);
    return 2;
  }
  const fs::path file = c.args[0];
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return fail("put", file.string() + ": not a readable file");
  const std::uint64_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) return fail("put", file.string() + ": cannot read it");

  Progress progress(file.filename().string(), size);
  ClientRequest req;
  req.method = "POST";
  req.target = "/storage";
  const std::string keywords = option(c, "--keywords");
  if (!keywords.empty()) req.target += "?keywords=" + percent_encode(keywords);
  req.headers.emplace_back("Content-Type", "application/octet-stream");
  req.body_size = size;
  req.body = [&](char* buf, std::size_t cap) -> std::size_t {
    in.read(buf, static_cast<std::streamsize>(cap));
    const auto n = static_cast<std::size_t>(in.gcount());
    progress.add(n);
    return n;
  };
  ClientResponse res;
  if (!exchange(c.node, req, res, nullptr, why, c.timeout)) {
    if (res.status == 0 && why.rfind("cannot reach", 0) == 0) return fail("put", unreachable(c, why));
    return fail("put", why);
  }
  if (res.status == 507) return fail("put", "the node has no room for " + std::to_string(size) + " bytes: " + said(res));
  if (res.status != 201 && res.status != 202) return fail("put", "the node answered " + said(res));
  std::string id;
  try {
    id = nlohmann::json::parse(res.body).at("id").get<std::string>();
  } catch (const std::exception&) {
    return fail("put", "the node's answer has no object id: " + res.body.substr(0, 200));
  }
  if (!valid_id(id)) return fail("put", "the node's answer has no valid object id: " + id);
  progress.finish();

  // Check what the node stored: the manifest hashes to the id, and FILE's blocks match it.
  auto manifest = fetch_manifest(c, id, why);
  if (manifest) {
    if (manifest->size != size) return fail("put", "the node stored " + std::to_string(manifest->size) + " bytes, not " + std::to_string(size));
    std::ifstream again(file, std::ios::binary);
    BlockVerifier v(*manifest, 0);
    std::vector<char> buf(1 << 20);
    while (again.read(buf.data(), static_cast<std::streamsize>(buf.size())) || again.gcount() > 0) {
      if (!v.feed(std::string_view(buf.data(), static_cast<std::size_t>(again.gcount())), why)) {
        return fail("put", "the stored object differs from " + file.string() + ": " + why);
      }
    }
    if (!v.complete()) return fail("put", file.string() + " changed while it was stored");
  } else if (!why.empty()) {
    return fail("put", why);
  }
  std::printf("%s\n", id.c_str());
  return 0;
}


int get_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kGetUsage, stdout), 0;
  Common c;
  std::string why;
  if (!parse_common(argc, argv, {"-o"}, c, why, {"--force", "--unverified"}) || c.args.size() != 1) {
    std::fprintf(stderr, "butter get: %s\n\n%s", why.empty() ? "one ID" : why.c_str(), kGetUsage);
    return 2;
  }
  std::string id = c.args[0];
  if (!valid_id(id)) return fail("get", "\"" + c.args[0] + "\" is not an object id (64 hex digits)");
  const fs::path out = option(c, "-o").empty() ? fs::path(id) : fs::path(option(c, "-o"));
  const fs::path part = out.string() + ".part";
  const bool force = c.has("--force");
  std::error_code ec;
  if (!force && fs::exists(fs::symlink_status(out, ec))) {
    return fail("get", out.string() + " exists; --force replaces it");
  }

  auto manifest = fetch_manifest(c, id, why);
  if (!manifest && !why.empty()) return fail("get", why);
  if (!manifest && !c.has("--unverified")) return no_manifest("get", c, id);
  std::uint64_t offset = resumable_prefix(part, manifest);
  fs::resize_file(part, offset, ec);  // drops a tail that is not verified (no-op when absent)
  if (offset > 0) std::fprintf(stderr, "butter get: resuming %s at byte %llu\n", part.string().c_str(), static_cast<unsigned long long>(offset));
  std::FILE* f = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
  if (!f) return fail("get", part.string() + ": " + std::strerror(errno));
  bool restarted = false, interrupted = false;
  std::uint64_t written = 0;
  int rc = fetch_object("get", c, id, manifest, offset, f, restarted, interrupted, written);
  if (restarted && rc == 0) {
    // The object came whole from byte 0 after the .part's bytes: rewrite it from the start.
    std::fclose(f);
    f = std::fopen(part.c_str(), "wb");
    if (!f) return fail("get", part.string() + ": " + std::strerror(errno));
    rc = fetch_object("get", c, id, manifest, 0, f, restarted, interrupted, written);
  }
  // On disk before the rename: a crash after it must not leave a named file with lost blocks.
  const bool synced = flush_to_disk(f);
  const int sync_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (rc != 0) {
    if (interrupted && fs::file_size(part, ec) > 0) {
      std::fprintf(stderr, "butter get: %s keeps what arrived verified; run the same command again to resume\n", part.string().c_str());
    } else {
      fs::remove(part, ec);
    }
    return rc;
  }
  if (!synced || !closed) return fail("get", part.string() + ": " + std::strerror(synced ? errno : sync_errno));
  // No clobbering between the check above and now either: the kernel refuses to replace.
  if (::renameat2(AT_FDCWD, part.c_str(), AT_FDCWD, out.c_str(), force ? 0u : RENAME_NOREPLACE) != 0) {
    const int e = errno;
    if (e == EEXIST) return fail("get", out.string() + " appeared meanwhile; --force replaces it (" + part.string() + " is kept)");
    return fail("get", "cannot rename " + part.string() + " to " + out.string() + ": " + std::strerror(e));
  }
  // The rename itself is durable once the directory is.
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  std::fprintf(stderr, "butter get: %s (%llu bytes%s)\n", out.string().c_str(),
               static_cast<unsigned long long>(fs::file_size(out, ec)), manifest ? ", every block verified" : ", UNVERIFIED");
  return 0;
}

int cat_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kCatUsage, stdout), 0;
  Common c;
  std::string why;
  if (!parse_common(argc, argv, {}, c, why, {"--unverified"}) || c.args.size() != 1) {
    std::fprintf(stderr, "butter cat: %s\n\n%s", why.empty() ? "one ID" : why.c_str(), kCatUsage);
    return 2;
  }
  std::string id = c.args[0];
  if (!valid_id(id)) return fail("cat", "\"" + c.args[0] + "\" is not an object id (64 hex digits)");
  auto manifest = fetch_manifest(c, id, why);
  if (!manifest && !why.empty()) return fail("cat", why);
  if (!manifest && !c.has("--unverified")) return no_manifest("cat", c, id);
  bool restarted = false, interrupted = false;
  std::uint64_t written = 0;
  const int rc = fetch_object("cat", c, id, manifest, 0, stdout, restarted, interrupted, written);
  std::fflush(stdout);
  return rc;
}

int search_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kSearchUsage, stdout), 0;
  Common c;
  std::string why;
  if (!parse_common(argc, argv, {}, c, why) || c.args.empty()) {
    std::fprintf(stderr, "butter search: %s\n\n%s", why.empty() ? "at least one WORD" : why.c_str(), kSearchUsage);
    return 2;
  }
  std::string q;
  for (const auto& w : c.args) q += (q.empty() ? "" : "+") + percent_encode(w);
  ClientRequest req;
  req.target = "/search?q=" + q;
  ClientResponse res;
  std::string body;
  auto sink = [&body](std::string_view piece) {
    if (body.size() + piece.size() > (16u << 20)) return false;
    body.append(piece);
    return true;
  };
  if (!exchange(c.node, req, res, sink, why, c.timeout_given ? c.timeout : std::chrono::milliseconds(120000))) return fail("search", unreachable(c, why));
  if (res.status == 404) return fail("search", "the node at " + c.url + " has no search (ir-dbfs) plugin");
  if (res.status != 200) return fail("search", "the node answered " + said(res));
  try {
    auto j = nlohmann::json::parse(body);
    std::size_t n = 0;
    for (const auto& h : j.at("hits")) {
      std::string kw;
      for (const auto& k : h.value("keywords", nlohmann::json::array())) kw += (kw.empty() ? "" : ",") + k.get<std::string>();
      std::printf("%s  %s  %s\n", h.value("object", "").c_str(), h.value("node", "").substr(0, 16).c_str(), kw.c_str());
      ++n;
    }
    if (n == 0) std::fprintf(stderr, "butter search: no hits\n");
  } catch (const std::exception& e) {
    return fail("search", std::string("cannot read the node's answer: ") + e.what());
  }
  return 0;
}

}  // namespace butter::host
