// Loading one plugin file: pre-flight, dlopen (RTLD_NOW|RTLD_LOCAL), the ABI gate, entry.init,
// the factory and the descriptors. Every call into plugin code goes through guarded_call.
#include "loader/plugin_library.hpp"

#include "loader/descriptor.hpp"
#include "loader/guarded_call.hpp"
#include "loader/preflight.hpp"

#include <boost/dll/shared_library.hpp>
#include <spdlog/spdlog.h>

#include <dlfcn.h>

#include <filesystem>
#include <set>

namespace butter::host {

class LoadedObject {
 public:
  boost::dll::shared_library library;
};

std::string version_text(const butter_version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.revision);
}

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kMaxPluginsPerFile = 64;

// Boost.DLL's throwing load reports "boost::dll::shared_library::load() failed (dlerror system
// message: <text>): <errno text>"; keep dlerror's text, which says what is wrong.
std::string dlerror_text(const std::string& what) {
  static const std::string marker = "(dlerror system message: ";
  const auto start = what.find(marker);
  if (start == std::string::npos) return what;
  const auto from = start + marker.size();
  const auto end = what.rfind(')');
  if (end == std::string::npos || end < from) return what.substr(from);
  return what.substr(from, end - from);
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::string& path, Error& err) {
  auto fail = [&](std::int32_t code, const std::string& why) {
    err = Error::make(code, path + ": " + why);
    spdlog::debug("refused plugin file {}", err.message);
    return nullptr;
  };

  if (Error e = preflight_plugin_file(path)) return fail(e.code, e.message);

  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;
  const std::string abs = absolute_path(path);

  auto object = std::make_unique<LoadedObject>();
  try {
    object->library.load(fs::path(abs), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::string why = dlerror_text(e.what());
    if (why.rfind(abs + ": ", 0) == 0) why.erase(0, abs.size() + 2);  // dlerror repeats the path
    return fail(BUTTER_E_INVALID, "cannot load: " + why);
  }
  lib->object_ = std::move(object);  // from here on, destroying `lib` unloads the file

  const butter_plugin_entry* entry = nullptr;
  try {
    entry = &lib->object_->library.get<const butter_plugin_entry>(BUTTER_ENTRY_SYMBOL);
  } catch (const std::exception& e) {
    return fail(BUTTER_E_INVALID,
                "not a Butter plugin: cannot find `" BUTTER_ENTRY_SYMBOL "`: " + dlerror_text(e.what()));
  }

  // The ABI gate: read before calling anything.
  lib->abi_ = entry->abi;
  if (!butter_version_is_compatible(butter_version BUTTER_ABI_VERSION_INIT, entry->abi)) {
    return fail(BUTTER_E_UNSUPPORTED, "built for Butter ABI " + version_text(entry->abi) + "; this host speaks " +
                                          std::to_string(BUTTER_ABI_MAJOR) + ".x");
  }
  spdlog::debug("{}: built for Butter ABI {} (host {}.{}.{})", path, version_text(entry->abi), BUTTER_ABI_MAJOR,
                BUTTER_ABI_MINOR, BUTTER_ABI_REVISION);
  if (!entry->init || !entry->deinit || !entry->get_factory) {
    return fail(BUTTER_E_INVALID, std::string("`" BUTTER_ENTRY_SYMBOL "` has a NULL function (") +
                                      (!entry->init     ? "init"
                                       : !entry->deinit ? "deinit"
                                                        : "get_factory") +
                                      ")");
  }

  int init_ok = 0;
  std::string thrown;
  if (!guarded_call([&] { init_ok = entry->init(abs.c_str()); }, thrown)) {
    return fail(BUTTER_E_INTERNAL, "init failed: it " + thrown);
  }
  if (!init_ok) return fail(BUTTER_E_INTERNAL, "init failed (butter_entry.init returned 0)");
  lib->entry_ = entry;  // init succeeded: the destructor calls deinit from here on

  const void* factory = nullptr;
  if (!guarded_call([&] { factory = entry->get_factory(BUTTER_PLUGIN_FACTORY_ID); }, thrown)) {
    return fail(BUTTER_E_INTERNAL, "get_factory(\"" BUTTER_PLUGIN_FACTORY_ID "\") " + thrown);
  }
  if (!factory) {
    return fail(BUTTER_E_UNSUPPORTED,
                "offers no plugin factory (get_factory(\"" BUTTER_PLUGIN_FACTORY_ID "\") returned NULL)");
  }
  const auto* f = static_cast<const butter_plugin_factory*>(factory);
  if (!f->count || !f->get_descriptor || !f->create) {
    return fail(BUTTER_E_INVALID, std::string("the plugin factory has a NULL function (") +
                                      (!f->count            ? "count"
                                       : !f->get_descriptor ? "get_descriptor"
                                                            : "create") +
                                      ")");
  }
  lib->factory_ = f;

  std::uint32_t count = 0;
  if (!guarded_call([&] { count = f->count(f); }, thrown)) return fail(BUTTER_E_INTERNAL, "factory count " + thrown);
  if (count == 0) return fail(BUTTER_E_INVALID, "the plugin factory offers no plugins (count is 0)");
  if (count > kMaxPluginsPerFile) {
    return fail(BUTTER_E_INVALID, "the plugin factory claims " + std::to_string(count) + " plugins (at most " +
                                      std::to_string(kMaxPluginsPerFile) + ")");
  }

  std::set<std::string> ids;
  for (std::uint32_t i = 0; i < count; ++i) {
    const butter_plugin_descriptor* d = nullptr;
    const std::string which = "plugin #" + std::to_string(i);
    if (!guarded_call([&] { d = f->get_descriptor(f, i); }, thrown)) {
      return fail(BUTTER_E_INTERNAL, which + ": get_descriptor " + thrown);
    }
    if (!d) return fail(BUTTER_E_INVALID, which + ": get_descriptor returned NULL");
    PluginInfo info;
    if (Error e = read_descriptor(d, info)) {
      return fail(e.code, (info.id.empty() ? which : which + " ('" + info.id + "')") + ": " + e.message);
    }
    if (!ids.insert(info.id).second) return fail(BUTTER_E_INVALID, "offers plugin id '" + info.id + "' twice");
    if (info.abi.minor != BUTTER_ABI_MINOR || info.abi.revision != BUTTER_ABI_REVISION) {
      spdlog::debug("{}: plugin {} was built for ABI {}", path, info.id, version_text(info.abi));
    }
    lib->plugins_.push_back(std::move(info));
  }
  spdlog::debug("loaded {} (ABI {}): {} plugin(s)", path, version_text(lib->abi_), lib->plugins_.size());
  return lib;
}

PluginLibrary::~PluginLibrary() {
  if (entry_) {
    std::string thrown;
    if (!guarded_call([&] { entry_->deinit(); }, thrown)) spdlog::error("{}: deinit {}", path_, thrown);
  }
  plugins_.clear();  // their raw descriptor pointers die with the file
  factory_ = nullptr;
  entry_ = nullptr;
  object_.reset();  // dlclose
}

const PluginInfo* PluginLibrary::find(std::string_view plugin_id) const {
  for (const auto& p : plugins_) {
    if (p.id == plugin_id) return &p;
  }
  return nullptr;
}

bool PluginLibrary::is_resident(const std::string& path) {
  const std::string abs = absolute_path(path);  // a bare name would make dlopen search
  void* handle = ::dlopen(abs.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!handle) {
    (void)::dlerror();
    return false;
  }
  ::dlclose(handle);  // NOLOAD took a reference; give it back
  return true;
}

}  // namespace butter::host
