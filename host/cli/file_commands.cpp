// butter put / get / cat / search: files in and out of a running node's storage through its local
// HTTP API (pcg-storage's /storage routes, ir-dbfs's /search). Files are streamed both ways, never
// held in memory; what comes back is checked against the object's manifest (each block's SHA-256;
// the id is the manifest's SHA-256) and a byte is written out only once its block matched. Without
// a manifest nothing is written unless --unverified says to take the node's word (Content-Length
// and ETag only). `get` writes FILE.part (never through a symlink, locked against a second get
// into the same FILE: part_file.hpp), fsyncs it and renames it when complete, verified and of the
// object's size, never over an existing FILE without --force nor to a directory; a .part left by
// an interrupted get is resumed with a Range request whose 206 must name exactly the bytes asked for.
// An answer that breaks off mid-object is asked again from the first byte not yet verified, by
// `get` and `cat` alike, a few times in a row at most (resuming_read.hpp). What put, cat and search
// print is their result: a closed standard output is refused before anything is opened, and a
// write or final flush that fails fails the command (standard_output.hpp).
#include "cli/cli.hpp"
#include "cli/file_options.hpp"
#include "cli/manifest_check.hpp"
#include "cli/node_client.hpp"
#include "cli/object_reader.hpp"
#include "cli/part_file.hpp"
#include "cli/progress.hpp"
#include "cli/resuming_read.hpp"
#include "cli/standard_output.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace butter::host {

namespace fs = std::filesystem;
using namespace cli;

namespace {

const char* kPutUsage =
    "usage: butter put FILE [--keywords a,b] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Stores FILE in the node's storage (streamed, never read whole into memory) and prints its\n"
    "object id. The id is checked against the manifest the node stored and FILE's blocks against\n"
    "it. --keywords makes the object findable with `butter search`. --node defaults to\n"
    "http://127.0.0.1:8700. Exit status 1 with the reason on errors (507: the node has no room).\n";

const char* kGetUsage =
    "usage: butter get ID [-o FILE] [--force] [--unverified] [--no-resume] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Writes object ID to FILE (default: ./ID) through FILE.part, fsynced and renamed once complete\n"
    "and every block matched the object's manifest. FILE is not overwritten unless --force. A node\n"
    "that serves no manifest is refused unless --unverified (then only the length and ETag are\n"
    "checked, which the node itself answers).\n"
    "An answer that breaks off mid-object (the node restarted, a holder went away, the node ended a\n"
    "stream that stalled) is asked again from the first byte not yet verified (Range request), with\n"
    "a note on stderr; after 3 retries in a row that bring no new verified block the get fails, saying\n"
    "how far it got. A 4xx answer, a block that does not match and a failed write are not retried.\n"
    "--no-resume fails at the first break. A get that gave up on breaks leaves FILE.part with what\n"
    "arrived verified; the same command resumes it; a second get into the same FILE meanwhile is\n"
    "refused.\n"
    "--timeout: the most seconds any step may go without progress (default 60).\n";

const char* kCatUsage =
    "usage: butter cat ID [--unverified] [--no-resume] [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Writes object ID to standard output, verified as `butter get` does: each block goes out only\n"
    "once it matched the manifest (a block that does not stops the output with exit status 1).\n"
    "An answer that breaks off mid-object (e.g. the node ends a stream whose reader took nothing\n"
    "for 30 s) is asked again from the first byte not yet written, as `butter get` does; nothing\n"
    "is written twice. --no-resume fails at the first break.\n";

static_assert(kMaxRetriesWithoutProgress == 3, "kGetUsage says 3 tries in a row");

const char* kSearchUsage =
    "usage: butter search WORD... [--node URL] [--timeout SECONDS]\n"
    "\n"
    "Asks the node's search (ir-dbfs) for objects with all these keywords and prints one hit per\n"
    "line: object id, holder node, keywords.\n";

// True when every comma-separated word of `list` has a character other than a space.
bool keywords_listed(std::string_view list) {
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = list.find(',', from);
    const std::string_view word =
        list.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
    if (word.find_first_not_of(' ') == std::string_view::npos) return false;
    if (comma == std::string_view::npos) return true;
    from = comma + 1;
  }
}

}  // namespace

int put_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kPutUsage, stdout), 0;
  FileCommandLine c;
  std::string why;
  if (!parse_file_command_line(argc, argv, {"--keywords"}, c, why) || c.args.size() != 1) {
    std::fprintf(stderr, "butter put: %s\n\n%s", why.empty() ? "one FILE" : why.c_str(), kPutUsage);
    return 2;
  }
  // The id printed at the end is the only way to the object: with nowhere to print it, nothing is
  // stored (and FILE is not opened on descriptor 1).
  if (const std::string closed = closed_stdout(); !closed.empty()) return fail("put", closed + "; nothing was stored");
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
  if (!keywords.empty() && !keywords_listed(keywords)) {
    // The node drops empty words: ",,, ," stored the object with no keyword, and search then
    // found nothing of what the user meant.
    return fail("put", "--keywords \"" + keywords + "\" has an empty keyword: give words separated by commas (a,b)");
  }
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
  if (res.status == 507)
    return fail("put", "the node has no room for " + std::to_string(size) + " bytes: " + said(res));
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
    if (manifest->size != size)
      return fail("put", "the node stored " + std::to_string(manifest->size) + " bytes, not " + std::to_string(size));
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
  // Stored already: the id goes to stderr too when it cannot go where it was asked for.
  const int printed = std::printf("%s\n", id.c_str());
  const std::string unwritten = printed < 0 ? stdout_error(errno) : flush_stdout();
  if (!unwritten.empty()) return fail("put", unwritten + "; the object is stored as " + id);
  return 0;
}

int get_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kGetUsage, stdout), 0;
  FileCommandLine c;
  std::string why;
  if (!parse_file_command_line(argc, argv, {"-o"}, c, why, {"--force", "--unverified", "--no-resume"}) ||
      c.args.size() != 1) {
    std::fprintf(stderr, "butter get: %s\n\n%s", why.empty() ? "one ID" : why.c_str(), kGetUsage);
    return 2;
  }
  std::string id = c.args[0];
  if (!valid_id(id)) return fail("get", "\"" + c.args[0] + "\" is not an object id (64 hex digits)");
  const fs::path out = option(c, "-o").empty() ? fs::path(id) : fs::path(option(c, "-o"));
  const fs::path part_path = out.string() + ".part";
  const bool force = c.has("--force");
  std::error_code ec;
  // Checked before a byte is fetched: a directory cannot be renamed over (the whole object would
  // be downloaded for nothing), and "dir/" would make the hidden "dir/.part".
  const std::string named = option(c, "-o");
  if (named == "-") return fail("get", "-o - would write a file named \"-\"; butter cat ID writes to standard output");
  if ((!named.empty() && named.back() == '/') || fs::is_directory(fs::status(out, ec))) {
    return fail("get", out.string() + " is a directory; -o takes the name of the file to write (e.g. " +
                           (out / id).string() + ")");
  }
  if (!force && fs::exists(fs::symlink_status(out, ec))) {
    return fail("get", out.string() + " exists; --force replaces it");
  }

  // Held from here to past the rename: no other get writes into it meanwhile (part_file.hpp).
  auto part = PartFile::open(part_path, why);
  if (!part) return fail("get", why);
  // A refusal before anything was fetched takes away the empty .part this get made.
  auto refused = [&part](int rc) {
    if (part->size() == 0) part->remove();
    return rc;
  };

  auto manifest = fetch_manifest(c, id, why);
  if (!manifest && !why.empty()) return refused(fail("get", why));
  if (!manifest && !c.has("--unverified")) return refused(no_manifest("get", c, id));
  std::uint64_t offset = resumable_prefix(part->fd(), manifest);
  if (offset > 0)
    std::fprintf(stderr, "butter get: resuming %s at byte %llu\n", part_path.string().c_str(),
                 static_cast<unsigned long long>(offset));
  std::FILE* f = part->write_from(offset);  // drops a tail that is not verified
  if (!f) return fail("get", part_path.string() + ": " + std::strerror(errno));
  bool restarted = false, interrupted = false;
  std::uint64_t written = 0;
  int rc = fetch_object("get", c, id, manifest, offset, f, restarted, interrupted, written);
  if (restarted && rc == 0) {
    // The object came whole from byte 0 after the .part's bytes: rewrite it from the start.
    std::fclose(f);
    offset = 0;
    f = part->write_from(0);
    if (!f) return fail("get", part_path.string() + ": " + std::strerror(errno));
    rc = fetch_object("get", c, id, manifest, 0, f, restarted, interrupted, written);
  }
  // On disk before the rename: a crash after it must not leave a named file with lost blocks.
  const bool synced = flush_to_disk(f);
  const int sync_errno = errno;
  const bool closed = std::fclose(f) == 0;  // the stream's own descriptor: the lock stays
  if (rc != 0) {
    if (interrupted && part->size() > 0) {
      std::fprintf(stderr, "butter get: %s keeps what arrived verified; run the same command again to resume\n",
                   part_path.string().c_str());
    } else {
      part->remove();
    }
    return rc;
  }
  if (!synced || !closed) return fail("get", part_path.string() + ": " + std::strerror(synced ? errno : sync_errno));
  // Every byte this get wrote was verified, but the file is only that if nothing else wrote into
  // it: a file of another length is not the object, whatever its blocks.
  if (!part->has_size(manifest ? manifest->size : offset + written, why)) {
    part->remove();
    return fail("get", why + "; it is removed and " + out.string() + " was not written");
  }
  // No clobbering between the check above and now either: the kernel refuses to replace.
  if (::renameat2(AT_FDCWD, part_path.c_str(), AT_FDCWD, out.c_str(), force ? 0u : RENAME_NOREPLACE) != 0) {
    const int e = errno;
    if (e == EEXIST)
      return fail("get",
                  out.string() + " appeared meanwhile; --force replaces it (" + part_path.string() + " is kept)");
    return fail("get", "cannot rename " + part_path.string() + " to " + out.string() + ": " + std::strerror(e));
  }
  // The rename itself is durable once the directory is.
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  std::fprintf(stderr, "butter get: %s (%llu bytes%s)\n", out.string().c_str(),
               static_cast<unsigned long long>(fs::file_size(out, ec)),
               manifest ? ", every block verified" : ", UNVERIFIED");
  return 0;
}

int cat_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kCatUsage, stdout), 0;
  FileCommandLine c;
  std::string why;
  if (!parse_file_command_line(argc, argv, {}, c, why, {"--unverified", "--no-resume"}) || c.args.size() != 1) {
    std::fprintf(stderr, "butter cat: %s\n\n%s", why.empty() ? "one ID" : why.c_str(), kCatUsage);
    return 2;
  }
  std::string id = c.args[0];
  if (!valid_id(id)) return fail("cat", "\"" + c.args[0] + "\" is not an object id (64 hex digits)");
  if (const std::string closed = closed_stdout(); !closed.empty()) return fail("cat", closed);
  auto manifest = fetch_manifest(c, id, why);
  if (!manifest && !why.empty()) return fail("cat", why);
  if (!manifest && !c.has("--unverified")) return no_manifest("cat", c, id);
  bool restarted = false, interrupted = false;
  std::uint64_t written = 0;
  const int rc = fetch_object("cat", c, id, manifest, 0, stdout, restarted, interrupted, written);
  // The last bytes may still be in stdio's buffer: failing to write them fails the command.
  if (const std::string unwritten = flush_stdout(); !unwritten.empty() && rc == 0) return fail("cat", unwritten);
  return rc;
}

int search_command(int argc, char** argv) {
  if (wants_help(argc, argv)) return std::fputs(kSearchUsage, stdout), 0;
  FileCommandLine c;
  std::string why;
  if (!parse_file_command_line(argc, argv, {}, c, why) || c.args.empty()) {
    std::fprintf(stderr, "butter search: %s\n\n%s", why.empty() ? "at least one WORD" : why.c_str(), kSearchUsage);
    return 2;
  }
  // Before the connection is opened: it would take a closed descriptor 1 and get the hits.
  if (const std::string closed = closed_stdout(); !closed.empty()) return fail("search", closed);
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
  if (!exchange(c.node, req, res, sink, why, c.timeout_given ? c.timeout : std::chrono::milliseconds(120000)))
    return fail("search", unreachable(c, why));
  if (res.status == 404) return fail("search", "the node at " + c.url + " has no search (ir-dbfs) plugin");
  if (res.status != 200) return fail("search", "the node answered " + said(res));
  try {
    auto j = nlohmann::json::parse(body);
    std::size_t n = 0;
    for (const auto& h : j.at("hits")) {
      std::string kw;
      for (const auto& k : h.value("keywords", nlohmann::json::array()))
        kw += (kw.empty() ? "" : ",") + k.get<std::string>();
      if (std::printf("%s  %s  %s\n", h.value("object", "").c_str(), h.value("node", "").substr(0, 16).c_str(),
                      kw.c_str()) < 0)
        return fail("search", stdout_error(errno));
      ++n;
    }
    if (const std::string unwritten = flush_stdout(); !unwritten.empty()) return fail("search", unwritten);
    if (n == 0) std::fprintf(stderr, "butter search: no hits\n");
  } catch (const std::exception& e) {
    return fail("search", std::string("cannot read the node's answer: ") + e.what());
  }
  return 0;
}

}  // namespace butter::host
