// PluginLibrary: one plugin shared object, loaded once per process and shared by every node that
// instantiates its plugins. Loading pre-flights the file (ELF, `butter_entry` present) with
// Boost.DLL's library_info before any of its code runs, dlopens it RTLD_NOW|RTLD_LOCAL (so an
// unresolved symbol fails here, with dlerror's reason), refuses another ABI major, calls
// entry.init(path), fetches the factory and copies every descriptor into PluginInfo.
//
// Threading: load/unload on the host's main thread (entry.init/deinit are [main]).
#pragma once
#include "core/status.hpp"
#include "manifest/manifest.hpp"

#include <butter/entry.h>
#include <butter/plugin.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace butter::host {

class LoadedObject;  // the dlopen handle (Boost.DLL), private to the loader

// "major.minor.revision", as messages and `butter inspect` show an ABI version.
std::string version_text(const butter_version& v);

// A descriptor copied into C++ values (the raw pointer stays valid while the library is loaded).
struct PluginInfo {
  std::string id, name, vendor, version, description;
  butter_version abi{};
  std::vector<std::string> provides, required, optional;
  std::vector<ConfigKeySpec> config_schema;
  const butter_plugin_descriptor* raw = nullptr;
};

class PluginLibrary {
 public:
  // Loads `path`. On failure returns nullptr and fills `err` with what went wrong and where
  // (always "<path>: <reason>"):
  //   "...: no such file" (BUTTER_E_NOT_FOUND)
  //   "...: not a shared object (not an ELF file)", "...: truncated or damaged shared object: ..."
  //   "...: not a Butter plugin: no `butter_entry` symbol"      (all before any of its code runs)
  //   "...: cannot load: undefined symbol: foo"                 (dlerror's text)
  //   "...: built for Butter ABI 2.0.0; this host speaks 1.x"   (BUTTER_E_UNSUPPORTED)
  //   "...: init failed (butter_entry.init returned 0)", "...: offers no plugin factory (...)",
  //   "...: plugin #0 ('x y'): id 'x y' is not a valid plugin id ([a-zA-Z0-9._-]+)"
  // A plugin whose init failed is unloaded without deinit; after a successful init, deinit runs.
  static std::shared_ptr<PluginLibrary> load(const std::string& path, Error& err);
  ~PluginLibrary();  // entry.deinit(), then dlclose
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  butter_version abi() const { return abi_; }
  const std::vector<PluginInfo>& plugins() const { return plugins_; }
  const PluginInfo* find(std::string_view plugin_id) const;
  const butter_plugin_factory* factory() const { return factory_; }

  // True when the dynamic linker still has `path` mapped in this process (dlopen with
  // RTLD_NOLOAD; matches by name or by file identity). Hot swap uses it to check that an unloaded
  // generation is really gone. Does not load anything.
  static bool is_resident(const std::string& path);

 private:
  PluginLibrary() = default;
  std::string path_;
  butter_version abi_{};
  std::vector<PluginInfo> plugins_;
  const butter_plugin_entry* entry_ = nullptr;
  const butter_plugin_factory* factory_ = nullptr;
  std::unique_ptr<LoadedObject> object_;
};

// Caches loaded libraries by canonical path, and finds a plugin id on a search path (every *.so
// in each directory, in order; the first library offering the id wins).
// Threading: main thread only.
class PluginRegistry {
 public:
  std::shared_ptr<PluginLibrary> load_file(const std::string& path, Error& err);
  // Returns the library and sets `info`; BUTTER_E_NOT_FOUND lists the directories searched.
  std::shared_ptr<PluginLibrary> find_by_id(const std::string& plugin_id, const std::vector<std::string>& search_path,
                                            const PluginInfo*& info, Error& err);
  // Drops cached libraries no node uses any more (unloading them), and forgets the files refused
  // while scanning, so that a fixed file is tried again.
  void collect_unused();
  // Drops `library` from the cache (hot swap retires it); unloaded once nobody else holds it.
  void forget(const std::shared_ptr<PluginLibrary>& library);

  // Number of libraries currently cached (loaded).
  std::size_t size() const { return libraries_.size(); }
  // Files on the search path that failed to load, by canonical path, with the reason.
  const std::map<std::string, std::string>& refused() const { return refused_; }

 private:
  std::map<std::string, std::shared_ptr<PluginLibrary>> libraries_;  // by canonical path
  std::map<std::string, std::string> refused_;  // files already tried on the search path and refused
};

}  // namespace butter::host
