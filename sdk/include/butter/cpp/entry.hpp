// butter/cpp/entry.hpp — the factory and the one exported symbol, generated.
//
//   BUTTER_PLUGIN(Echo, butter::Descriptor{.id = "butter.example.echo", ...})
//
// defines `butter_entry` (the only exported symbol), a factory offering one plugin, and the
// descriptor in static storage. Several plugins in one file:
//
//   BUTTER_PLUGINS(butter::Entry<Echo>(echo_descriptor()), butter::Entry<Other>(other_descriptor()))
//
// Use one of the two macros once per shared object, at namespace scope. butter::Registry is the
// same factory without the exported symbol (tests use it directly).
#pragma once

#include <butter/cpp/descriptor.hpp>
#include <butter/cpp/instance.hpp>

#include <cstring>
#include <string>
#include <type_traits>

namespace butter {

// One plugin class and its descriptor, for BUTTER_PLUGINS.
template <class T>
struct Entry {
  static_assert(std::is_base_of_v<Plugin, T>, "a plugin class derives from butter::Plugin");
  static_assert(std::is_constructible_v<T, Context>,
                "a plugin class is constructible from butter::Context (write `using Plugin::Plugin;`)");

  // True when T overrides save_state/load_state (then the instance serves butter.state/1).
  static constexpr bool saves = !std::is_same_v<decltype(&T::save_state), std::string (Plugin::*)()>;
  static constexpr bool loads = !std::is_same_v<decltype(&T::load_state), void (Plugin::*)(std::string_view)>;
  static_assert(saves == loads, "override both save_state() and load_state(), or neither");

  explicit Entry(Descriptor d) : descriptor(std::move(d)) {}
  static Plugin* make(Context ctx) { return new T(ctx); }
  Descriptor descriptor;
};

class Registry {
 public:
  template <class... T>
  explicit Registry(Entry<T>... entries) {
    records_.reserve(sizeof...(T));
    (add(std::move(entries)), ...);
    holder_.c.count = &Registry::c_count;
    holder_.c.get_descriptor = &Registry::c_get_descriptor;
    holder_.c.create = &Registry::c_create;
    holder_.self = this;
  }
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const butter_plugin_factory* factory() const noexcept { return &holder_.c; }
  // butter_plugin_entry.get_factory
  const void* get_factory(const char* id) const noexcept {
    return id && std::strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? factory() : nullptr;
  }

 private:
  struct Record {
    std::unique_ptr<detail::DescriptorStorage> desc;
    Plugin* (*make)(Context);
    bool serves_state;
  };
  // Standard layout, `c` first: the factory pointer the host passes back converts to the holder.
  struct Holder {
    butter_plugin_factory c;
    const Registry* self;
  };

  template <class T>
  void add(Entry<T>&& e) {
    records_.push_back(
        Record{std::make_unique<detail::DescriptorStorage>(std::move(e.descriptor)), &Entry<T>::make, Entry<T>::saves});
  }
  static const Registry& of(const butter_plugin_factory* f) noexcept {
    return *reinterpret_cast<const Holder*>(f)->self;
  }
  static uint32_t c_count(const butter_plugin_factory* f) noexcept {
    return static_cast<uint32_t>(of(f).records_.size());
  }
  static const butter_plugin_descriptor* c_get_descriptor(const butter_plugin_factory* f, uint32_t index) noexcept {
    const Registry& r = of(f);
    return index < r.records_.size() ? r.records_[index].desc->c() : nullptr;
  }
  static const butter_plugin* c_create(const butter_plugin_factory* f, const butter_host* host,
                                       const char* plugin_id) noexcept {
    if (!plugin_id) return nullptr;
    for (const Record& rec : of(f).records_) {
      if (std::strcmp(rec.desc->c()->id, plugin_id) != 0) continue;
      try {
        return rec.make(Context{host, rec.desc->c(), rec.serves_state})->c_plugin();
      } catch (const std::exception& e) {
        detail::Core(host).report(std::string("create ") + plugin_id, e.what());
      } catch (...) {
        detail::Core(host).report("create", "unknown exception");
      }
      return nullptr;
    }
    return nullptr;
  }

  std::vector<Record> records_;
  Holder holder_{};
};

static_assert(std::is_standard_layout_v<butter_plugin_factory>);

}  // namespace butter

// Defines the exported `butter_entry` serving the given butter::Entry<T>(descriptor)s.
#define BUTTER_PLUGINS(...)                                                 \
  namespace {                                                               \
  const ::butter::Registry& butter_registry_() {                            \
    static const ::butter::Registry registry{__VA_ARGS__};                  \
    return registry;                                                        \
  }                                                                         \
  int butter_entry_init_(const char*) noexcept { return 1; }                \
  void butter_entry_deinit_() noexcept {}                                   \
  const void* butter_entry_get_factory_(const char* id) noexcept {          \
    try {                                                                   \
      return butter_registry_().get_factory(id);                            \
    } catch (...) {                                                         \
      return nullptr; /* building the descriptors failed (out of memory) */ \
    }                                                                       \
  }                                                                         \
  }                                                                         \
  extern "C" BUTTER_EXPORT const butter_plugin_entry butter_entry = {       \
      BUTTER_ABI_VERSION_INIT, &butter_entry_init_, &butter_entry_deinit_, &butter_entry_get_factory_}

// Defines the exported `butter_entry` for one plugin class:
//   BUTTER_PLUGIN(Echo, butter::Descriptor{.id = "...", ...});
#define BUTTER_PLUGIN(T, ...) BUTTER_PLUGINS(::butter::Entry<T>(__VA_ARGS__))
