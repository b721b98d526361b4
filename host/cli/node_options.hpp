// What `butter run` and `butter dev` share: the manifest argument, the [node] overrides on the
// command line, loading the manifest with them applied, and the "node is running" line.
#pragma once
#include "manifest/manifest.hpp"

#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace butter::host {

class Node;

struct NodeOptions {
  std::string file;  // "" = the embedded default manifest
  std::vector<std::string> listen, bootstrap;
  std::optional<std::string> name, http, data_dir, log_level;
  unsigned threads = 0;
};

// The options text both commands print in their --help.
extern const char* const kNodeOptionsHelp;

// If argv[i] is one of the shared options (or the manifest file), consumes it (and its value,
// advancing i) and returns true. Throws std::runtime_error on a missing or bad value, an unknown
// option or a second manifest.
bool parse_node_option(int argc, char** argv, int& i, NodeOptions& o);

// Loads the manifest, applies the overrides and sets the log level. Prints what is wrong to stderr
// prefixed with `command` and returns nullopt, with the exit code in `exit_code`.
std::optional<Manifest> load_manifest_with_options(const NodeOptions& o, const char* command, int& exit_code);

// Blocks SIGINT and SIGTERM in the calling thread (event-loop threads started later inherit the
// mask) and ignores SIGPIPE; returns the set, for sigwait / sigtimedwait.
sigset_t block_stop_signals();

// "butter: node <id> (<name>) running<mode>; listening on ...; status at .../status"
void print_running(Node& node, const char* mode);

}  // namespace butter::host
