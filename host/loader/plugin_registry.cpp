// The process's cache of plugin libraries, and the search of a plugin id on the plugin path.
#include "loader/plugin_library.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace butter::host {
namespace {

namespace fs = std::filesystem;

std::string canonical_or_empty(const std::string& path) {
  std::error_code ec;
  auto c = fs::canonical(path, ec);
  return ec ? std::string() : c.string();
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginRegistry::load_file(const std::string& path, Error& err) {
  const std::string key = canonical_or_empty(path);
  if (!key.empty()) {
    if (auto it = libraries_.find(key); it != libraries_.end()) return it->second;
  }
  auto lib = PluginLibrary::load(path, err);  // reports a missing file itself
  if (!lib) return nullptr;
  libraries_.emplace(key.empty() ? path : key, lib);
  return lib;
}

std::shared_ptr<PluginLibrary> PluginRegistry::find_by_id(const std::string& plugin_id,
                                                          const std::vector<std::string>& search_path,
                                                          const PluginInfo*& info, Error& err) {
  info = nullptr;
  std::vector<std::string> searched;
  std::set<std::string> ids_seen;
  std::vector<std::string> skipped;
  for (const auto& dir : search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      searched.push_back(dir + " (not a directory)");
      continue;
    }
    searched.push_back(dir);
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code fec;
      if (p.extension() == ".so" && fs::is_regular_file(p, fec)) files.push_back(p);  // follows symlinks
    }
    if (ec) spdlog::debug("plugin path {}: {}", dir, ec.message());
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });

    for (const auto& file : files) {
      const std::string key = canonical_or_empty(file.string());
      if (key.empty()) continue;
      std::shared_ptr<PluginLibrary> lib;
      if (auto it = libraries_.find(key); it != libraries_.end()) {
        lib = it->second;
      } else if (refused_.count(key)) {
        skipped.push_back(file.filename().string());
        continue;
      } else {
        Error load_err;
        lib = PluginLibrary::load(file.string(), load_err);
        if (!lib) {
          spdlog::debug("plugin path: skipping {}", load_err.message);
          refused_.emplace(key, load_err.message);
          skipped.push_back(file.filename().string());
          continue;
        }
        libraries_.emplace(key, lib);
      }
      if (const PluginInfo* pi = lib->find(plugin_id)) {
        info = pi;
        return lib;
      }
      for (const auto& p : lib->plugins()) ids_seen.insert(p.id);
    }
  }

  std::string msg = "no plugin with id '" + plugin_id + "' on the plugin path; searched: ";
  msg += searched.empty() ? std::string("nothing (the plugin path is empty)") : join(searched, ", ");
  msg += "; ids found: ";
  msg +=
      ids_seen.empty() ? std::string("none") : join(std::vector<std::string>(ids_seen.begin(), ids_seen.end()), ", ");
  if (!skipped.empty()) {
    msg += "; skipped " + std::to_string(skipped.size()) +
           " file(s) that are not loadable plugins: " + join(skipped, ", ") + " (log level debug says why)";
  }
  err = Error::make(BUTTER_E_NOT_FOUND, std::move(msg));
  return nullptr;
}

void PluginRegistry::collect_unused() {
  for (auto it = libraries_.begin(); it != libraries_.end();) {
    if (it->second.use_count() == 1) {
      spdlog::debug("unloading unused plugin file {}", it->second->path());
      it = libraries_.erase(it);
    } else {
      ++it;
    }
  }
  refused_.clear();
}

void PluginRegistry::forget(const std::shared_ptr<PluginLibrary>& library) {
  for (auto it = libraries_.begin(); it != libraries_.end();) {
    it = it->second == library ? libraries_.erase(it) : std::next(it);
  }
}

}  // namespace butter::host
