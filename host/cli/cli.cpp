#include "cli/cli.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace butter::host {

static const char* kUsage =
    "butter — a node of the Butter peer-to-peer framework\n"
    "\n"
    "usage: butter <command> [args]\n"
    "\n"
    "commands:\n"
    "  run [FILE]          run a node from a manifest (the embedded default when FILE is omitted)\n"
    "  dev [FILE]          run a node and hot-swap its plugins when their .so files are rebuilt\n"
    "  demo [N] [FILE]     run N nodes in this process on loopback, for a quick look\n"
    "  check FILE          validate a manifest and its plugin graph; errors as file:line:column\n"
    "  inspect PLUGIN.so   print a plugin file's descriptors (id, version, ABI, provides, requires)\n"
    "  new-plugin NAME     write a plugin project that builds against the installed SDK\n"
    "\n"
    "files, through a running node's local HTTP API (--node URL; default http://127.0.0.1:8700,\n"
    "the `http` address of the default manifest):\n"
    "  put FILE            store FILE (streamed) and print its object id\n"
    "  get ID [-o FILE]    write an object to FILE, verified; an interrupted get resumes\n"
    "  cat ID              write an object to standard output, verified\n"
    "  search WORD...      find objects by keywords\n"
    "\n"
    "`butter <command> --help` tells more.\n";

int cli_main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "run") return run_command(argc - 1, argv + 1);
  if (cmd == "dev") return dev_command(argc - 1, argv + 1);
  if (cmd == "demo") return demo_command(argc - 1, argv + 1);
  if (cmd == "check") return check_command(argc - 1, argv + 1);
  if (cmd == "inspect") return inspect_command(argc - 1, argv + 1);
  if (cmd == "new-plugin") return new_plugin_command(argc - 1, argv + 1);
  if (cmd == "put") return put_command(argc - 1, argv + 1);
  if (cmd == "get") return get_command(argc - 1, argv + 1);
  if (cmd == "cat") return cat_command(argc - 1, argv + 1);
  if (cmd == "search") return search_command(argc - 1, argv + 1);
  std::fprintf(stderr, "butter: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}

}  // namespace butter::host
