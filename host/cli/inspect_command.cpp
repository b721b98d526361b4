// butter inspect PLUGIN.so: what a plugin file offers, without running a node.
#include "cli/cli.hpp"
#include "loader/inspect.hpp"
#include "loader/plugin_library.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string_view>

namespace butter::host {

int inspect_command(int argc, char** argv) {
  if (argc != 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fputs(
        "usage: butter inspect PLUGIN.so\n"
        "\n"
        "Loads the plugin file (after checking it is a Butter plugin of a compatible ABI) and prints each\n"
        "plugin it offers: id, name, vendor, version, ABI version, provided and required interfaces, and\n"
        "config keys. Exit status: 0 when the file loads, 1 otherwise (the reason is printed).\n",
        argc == 2 ? stdout : stderr);
    return argc == 2 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);
  Error err;
  auto lib = PluginLibrary::load(argv[1], err);
  if (!lib) {
    std::fprintf(stderr, "butter inspect: %s\n", err.message.c_str());
    return 1;
  }
  std::fputs(describe_library(*lib).c_str(), stdout);
  return 0;
}

}  // namespace butter::host
