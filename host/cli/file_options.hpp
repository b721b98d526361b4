// The command line shared by `butter put/get/cat/search`: --node URL and --timeout SECONDS, each
// command's own options and flags, and the way they report errors (file_commands.cpp).
#pragma once
#include "cli/node_client.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::host::cli {

// Prints "butter CMD: WHAT" to stderr; returns the exit status 1.
int fail(const char* cmd, const std::string& what);

// The parsed command line: --node URL; the rest stays in `args`.
struct FileCommandLine {
  NodeAddress node;
  std::string url = kDefaultNodeUrl;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> options;  // "--keywords" -> "a,b", "-o" -> "x"
  std::vector<std::string> flags;                            // "--force", "--unverified"
  std::chrono::milliseconds timeout = kDefaultTimeout;       // --timeout SECONDS
  bool timeout_given = false;
  bool has(const std::string& flag) const { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }
};

// Parses argv after the command name; `valued` lists the options that take a value, `flags` those
// that do not. --node URL and --timeout SECONDS are common to all. False with `why` on a bad one.
bool parse_file_command_line(int argc, char** argv, const std::vector<std::string>& valued, FileCommandLine& c,
                             std::string& why, const std::vector<std::string>& flags = {});

// The value of option `name` ("" when not given).
std::string option(const FileCommandLine& c, const std::string& name);

// `s` with every byte outside [A-Za-z0-9-_.~,] as %XX, for a query string.
std::string percent_encode(std::string_view s);

// True when `id` is 64 hex digits; lower-cases it.
bool valid_id(std::string& id);

// `why` a node could not be reached, with a hint about --node.
std::string unreachable(const FileCommandLine& c, const std::string& why);

// What the node said, for an error message: its status and first line.
std::string said(const ClientResponse& r);

// True when argv asks for --help or -h.
bool wants_help(int argc, char** argv);

}  // namespace butter::host::cli
