// The command line of `butter put/get/cat/search` (file_options.hpp).
#include "cli/file_options.hpp"

#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace butter::host::cli {

int fail(const char* cmd, const std::string& what) {
  std::fprintf(stderr, "butter %s: %s\n", cmd, what.c_str());
  return 1;
}

bool parse_file_command_line(int argc, char** argv, const std::vector<std::string>& valued, FileCommandLine& c,
                             std::string& why, const std::vector<std::string>& flags) {
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
        c.timeout = std::chrono::milliseconds(std::llround(secs * 1000));
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

std::string option(const FileCommandLine& c, const std::string& name) {
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

std::string unreachable(const FileCommandLine& c, const std::string& why) {
  return why + " (is a node running there? `butter run` serves " + std::string(kDefaultNodeUrl) +
         " by default; point to another with --node " + c.url + ")";
}

std::string said(const ClientResponse& r) {
  std::string body = r.body.substr(0, r.body.find('\n'));
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  }
  return false;
}

}  // namespace butter::host::cli
