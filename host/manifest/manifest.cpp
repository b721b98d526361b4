// Parsing a manifest: TOML syntax (toml++), then the top level — `[node]` and `[plugins.*]` —
// with every problem collected into Diagnostics, sorted by position.
#include "manifest/toml_read.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace butter::host {

std::string_view embedded_default_manifest();  // generated from manifests/default.toml

namespace {

constexpr std::array<std::string_view, 2> kTopKeys{"node", "plugins"};
constexpr const char* kDefaultSource = "<default manifest>";

// The directory relative `file` paths are resolved against, from a source name: none for "" or
// for a name in angle brackets ("<default manifest>", "<string>").
std::string directory_of(const std::string& source_name) {
  if (source_name.empty() || source_name.front() == '<') return {};
  return std::filesystem::path(source_name).parent_path().string();
}

void sort_from(Diagnostics& diags, std::size_t first) {
  std::stable_sort(diags.items.begin() + static_cast<std::ptrdiff_t>(first), diags.items.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
                   });
}

// Reads a whole file; on failure returns nullopt and sets `error` to strerror's text.
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    error = std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

std::optional<Manifest> parse_manifest(std::string_view text, const std::string& source_name,
                                       const std::string& directory, Diagnostics& diags) {
  const std::size_t first = diags.items.size();
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    diags.add(SourcePos{source_name, static_cast<std::uint32_t>(e.source().begin.line),
                        static_cast<std::uint32_t>(e.source().begin.column)},
              std::string(e.description()));
    return std::nullopt;
  }

  Manifest manifest;
  manifest.source = source_name;
  manifest.directory = directory;
  manifest.node.pos = SourcePos{source_name, 0, 0};
  manifest_detail::Reader reader(source_name, diags);
  reader.reject_unknown_keys(root, kTopKeys, "the top level");
  if (const toml::node* node = root.get("node")) {
    if (const auto* table = node->as_table()) {
      manifest_detail::read_node_section(reader, *table, manifest.node);
    } else {
      reader.type_error(*node, "node", "a table");
    }
  }
  if (const toml::node* plugins = root.get("plugins")) {
    if (const auto* table = plugins->as_table()) {
      manifest_detail::read_plugins_section(reader, *table, directory, manifest.plugins);
    } else {
      reader.type_error(*plugins, "plugins", "a table of plugin tables ([plugins.<instance>])");
    }
  }
  if (diags.items.size() != first) {
    sort_from(diags, first);
    return std::nullopt;
  }
  return manifest;
}

std::optional<Manifest> parse_manifest(std::string_view text, const std::string& source_name, Diagnostics& diags) {
  return parse_manifest(text, source_name, directory_of(source_name), diags);
}

std::optional<Manifest> load_manifest_file(const std::string& path, Diagnostics& diags) {
  std::string error;
  const auto text = read_file(path, error);
  if (!text) {
    diags.add(SourcePos{path, 0, 0}, "cannot read manifest \"" + path + "\": " + error);
    return std::nullopt;
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  const std::string directory = ec ? directory_of(path) : absolute.lexically_normal().parent_path().string();
  return parse_manifest(*text, path, directory, diags);
}

std::string_view default_manifest_text() { return embedded_default_manifest(); }

std::optional<Manifest> load_default_manifest(Diagnostics& diags) {
  return parse_manifest(default_manifest_text(), kDefaultSource, std::string(), diags);
}

}  // namespace butter::host
