// butter new-plugin NAME [--lang c|cpp] [--provides IFACE] [--dir DIR]: writes a ready
// out-of-tree plugin project (CMakeLists.txt, source, manifest.toml, README.md) that builds
// against the installed SDK with find_package(butter). The file texts are in plugin_templates.cpp.
#include "cli/cli.hpp"
#include "cli/plugin_templates.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace butter::host {

namespace fs = std::filesystem;

namespace {

const char* kNewPluginUsage =
    "usage: butter new-plugin NAME [--lang c|cpp] [--provides IFACE] [--dir DIR]\n"
    "\n"
    "Writes DIR/NAME (default ./NAME), a plugin project that builds outside the Butter tree against\n"
    "the installed SDK (find_package(butter)):\n"
    "  CMakeLists.txt   the plugin and its tests (butter inspect the .so, butter check the manifest)\n"
    "  src/NAME.cpp     the plugin, with the C++ wrapper (--lang c: src/NAME.c, plain C99)\n"
    "  test/NAME_test.cpp  a unit test without a node, on the SDK's fake host (C++)\n"
    "  manifest.toml    a node that loads build/NAME.so\n"
    "  README.md        how to build, test and run it\n"
    "The plugin (id org.example.NAME) answers requests on /NAME/1 with its config key `greeting` +\n"
    "the payload and counts them in a metric.\n"
    "\n"
    "  NAME             [a-z][a-z0-9-]*, at most 64 characters\n"
    "  --lang c|cpp     the language (default cpp)\n"
    "  --provides IFACE also serve interface IFACE (e.g. org.example.greeter/1) to other plugins,\n"
    "                   with a small vtable declared in the source\n"
    "  --dir DIR        where to create the project folder (default: the current directory)\n"
    "\n"
    "Exit status: 0 when written, 2 for a bad argument or an existing folder, 1 when writing failed.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() < 'a' || name.front() > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Interface ids look like "org.example.greeter/1": a dotted name, '/', a version from 1.
bool valid_iface(std::string_view id) {
  auto slash = id.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= id.size()) return false;
  for (char c : id.substr(0, slash)) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == '_'))
      return false;
  }
  std::string_view version = id.substr(slash + 1);
  if (version.front() == '0') return false;
  for (char c : version) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string ident_of(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

std::string class_of(const std::string& name) {
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '-') {
      up = true;
      continue;
    }
    out += up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return out;
}

// Replaces every @KEY@ of `vars` in `text`; runs again while something changed (blocks hold keys).
std::string fill(std::string text, const std::map<std::string, std::string>& vars) {
  for (int pass = 0; pass < 4; ++pass) {
    std::string out;
    bool changed = false;
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t at = text.find('@', i);
      if (at == std::string::npos) break;
      std::size_t end = text.find('@', at + 1);
      if (end == std::string::npos) break;
      auto it = vars.find(text.substr(at + 1, end - at - 1));
      if (it == vars.end()) {
        out.append(text, i, end - i);  // not a key: keep the first '@', look again from the second
        i = end;
        continue;
      }
      out.append(text, i, at - i);
      out += it->second;
      i = end + 1;
      changed = true;
    }
    out.append(text, i, std::string::npos);
    text = std::move(out);
    if (!changed) break;
  }
  return text;
}

// Where `butter` is installed, when it runs from an installed prefix (for the hint printed last).
std::string installed_prefix() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path prefix = exe.parent_path().parent_path();
  if (fs::exists(prefix / "lib" / "cmake" / "butter" / "butterConfig.cmake", ec)) return prefix.string();
  return {};
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int new_plugin_command(int argc, char** argv) {
  std::string name, lang = "cpp", iface;
  fs::path dir = ".";
  try {
    for (int i = 1; i < argc; ++i) {
      std::string_view a = argv[i];
      auto value = [&](const char* flag) -> std::string {
        if (i + 1 >= argc) throw UsageError(std::string(flag) + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") {
        std::fputs(kNewPluginUsage, stdout);
        return 0;
      } else if (a == "--lang") {
        lang = value("--lang");
        if (lang != "c" && lang != "cpp") throw UsageError("--lang must be c or cpp, not '" + lang + "'");
      } else if (a == "--provides") {
        iface = value("--provides");
        if (!valid_iface(iface))
          throw UsageError("--provides: '" + iface + "' is not an interface id like org.example.greeter/1");
      } else if (a == "--dir") {
        dir = value("--dir");
        if (dir.empty()) throw UsageError("--dir needs a value");
      } else if (!a.empty() && a[0] == '-') {
        throw UsageError("unknown option " + std::string(a));
      } else if (name.empty()) {
        name = std::string(a);
      } else {
        throw UsageError("more than one NAME given ('" + name + "', '" + std::string(a) + "')");
      }
    }
    if (name.empty()) throw UsageError("NAME is missing");
    if (!valid_name(name))
      throw UsageError("invalid NAME '" + name +
                       "': use [a-z][a-z0-9-]* (a lowercase letter first), at most 64 characters");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "butter new-plugin: %s\n\n%s", e.what(), kNewPluginUsage);
    return 2;
  }

  const fs::path root = dir / name;
  std::error_code ec;
  if (fs::exists(root, ec) || fs::is_symlink(root, ec)) {
    std::fprintf(stderr, "butter new-plugin: %s already exists; choose another NAME or --dir\n", root.string().c_str());
    return 2;
  }

  const bool cpp = lang == "cpp";
  const std::string ident = ident_of(name);
  std::map<std::string, std::string> vars = {
      {"NAME", name},
      {"IDENT", ident},
      {"CLASS", class_of(name)},
      {"ID", "org.example." + name},
      {"PROTOCOL", "/" + name + "/1"},
      {"METRIC", ident + "_requests_total"},
      {"EXT", cpp ? "cpp" : "c"},
      {"LANGUAGE", cpp ? "CXX" : "C"},
      {"LANG_NAME", cpp ? "C++" : "C"},
      {"IFACE", iface},
      {"IFACE_DECL", ""},
      {"IFACE_IMPL", ""},
      {"IFACE_PROVIDE", ""},
      {"IFACE_EXT", ""},
      {"IFACE_README", ""},
      {"PROVIDES", ""},
      {"PROVIDES_FIELD", "NULL"},
  };
  if (!iface.empty()) {
    vars["IFACE_README"] = " It also provides the interface\n`@IFACE@` to the other plugins of its node.";
    if (cpp) {
      vars["IFACE_README"] =
          " It also provides the interface\n// \"@IFACE@\" to the other plugins of its node (the vtable @IDENT@_v1 "
          "below).";
      vars["IFACE_DECL"] = templates::kCppIfaceDecl;
      vars["IFACE_IMPL"] = templates::kCppIfaceImpl;
      vars["IFACE_PROVIDE"] = "\n    provide(\"@IFACE@\", iface_vtable());";
      vars["PROVIDES"] = "\n    .provides = {\"@IFACE@\"},";
    } else {
      vars["IFACE_README"] =
          " It also provides the interface\n * \"@IFACE@\" to the other plugins of its node (the vtable @IDENT@_v1 "
          "below).";
      vars["IFACE_DECL"] = templates::kCIfaceDecl;
      vars["IFACE_IMPL"] = templates::kCIfaceImpl;
      vars["IFACE_EXT"] = "\n  if (strcmp(id, \"@IFACE@\") == 0) return &iface_vtable;";
      vars["PROVIDES"] = "\nstatic const char* const provides[] = {\"@IFACE@\", NULL};\n";
      vars["PROVIDES_FIELD"] = "provides";
    }
  }
  std::map<std::string, std::string> readme_vars = vars;
  if (!iface.empty())
    readme_vars["IFACE_README"] = " It also provides the interface\n`@IFACE@` to the other plugins of its node.";

  const std::string source = "src/" + name + (cpp ? ".cpp" : ".c");
  const std::vector<std::pair<std::string, std::string>> files = {
      {"CMakeLists.txt", fill(templates::kCMakeLists, vars)},
      {source, fill(cpp ? templates::kCppSource : templates::kCSource, vars)},
      {"test/" + name + "_test.cpp", fill(templates::kUnitTest, vars)},
      {"manifest.toml", fill(templates::kManifest, vars)},
      {"README.md", fill(templates::kReadme, readme_vars)},
      {".gitignore", templates::kGitignore},
  };
  try {
    for (const auto& [rel, text] : files) write_file(root / rel, text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "butter new-plugin: %s\n", e.what());
    return 1;
  }

  std::printf("butter new-plugin: wrote %s, a %s plugin (org.example.%s answering /%s/1%s%s)\n", root.string().c_str(),
              cpp ? "C++" : "C", name.c_str(), name.c_str(), iface.empty() ? "" : ", providing ", iface.c_str());
  for (const auto& f : files) std::printf("  %s\n", (root / f.first).string().c_str());
  if (!iface.empty() && iface.rfind("butter.", 0) == 0) {
    std::printf("note: %s is a Butter interface: replace the generated vtable with the one its header declares\n",
                iface.c_str());
  }
  std::string prefix = installed_prefix();
  std::printf(
      "next:\n  cd %s\n  cmake -S . -B build -DCMAKE_PREFIX_PATH=%s\n  cmake --build build && ctest --test-dir build\n"
      "  butter run manifest.toml\n",
      root.string().c_str(), prefix.empty() ? "<where Butter is installed>" : prefix.c_str());
  return 0;
}

}  // namespace butter::host
