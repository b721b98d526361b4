// The shell of a one-plugin test .so written in C++ against the raw C ABI (no wrapper): the
// instance (its butter_plugin and the butter_host it was given), the factory and butter_entry.
// A tp_*.cpp keeps only what it proves:
//
//   const butter_plugin_descriptor descriptor = {...};
//   butter_status start(tp::RawInstance& self, butter_error* err) { ... }
//   const tp::RawHooks hooks = {.start = start};
//   TP_RAW_PLUGIN(descriptor, hooks)
//
// Hooks left null succeed (init, start) or do nothing (stop); get_extension answers NULL.
#pragma once

#include <butter/butter.h>

#include <cstring>
#include <new>

namespace tp {

struct RawInstance {
  butter_plugin plugin;
  const butter_host* host;
};

struct RawHooks {
  butter_status (*init)(RawInstance& self, butter_error* err) = nullptr;
  butter_status (*start)(RawInstance& self, butter_error* err) = nullptr;
  void (*stop)(RawInstance& self) = nullptr;
};

template <const butter_plugin_descriptor* Desc, const RawHooks* Hooks>
struct RawPlugin {
  static RawInstance& of(const butter_plugin* p) { return *static_cast<RawInstance*>(p->plugin_data); }
  static butter_status init(const butter_plugin* p, butter_error* err) {
    return Hooks->init ? Hooks->init(of(p), err) : BUTTER_OK;
  }
  static butter_status start(const butter_plugin* p, butter_error* err) {
    return Hooks->start ? Hooks->start(of(p), err) : BUTTER_OK;
  }
  static void stop(const butter_plugin* p) {
    if (Hooks->stop) Hooks->stop(of(p));
  }
  static void destroy(const butter_plugin* p) { delete &of(p); }
  static const void* get_extension(const butter_plugin*, const char*) { return nullptr; }

  static uint32_t count(const butter_plugin_factory*) { return 1; }
  static const butter_plugin_descriptor* describe(const butter_plugin_factory*, uint32_t i) {
    return i == 0 ? Desc : nullptr;
  }
  static const butter_plugin* create(const butter_plugin_factory*, const butter_host* host, const char*) {
    auto* self = new (std::nothrow) RawInstance{};
    if (!self) return nullptr;
    self->host = host;
    self->plugin.desc = Desc;
    self->plugin.plugin_data = self;
    self->plugin.init = init;
    self->plugin.start = start;
    self->plugin.stop = stop;
    self->plugin.destroy = destroy;
    self->plugin.get_extension = get_extension;
    return &self->plugin;
  }
  static constexpr butter_plugin_factory factory = {count, describe, create};

  static int entry_init(const char*) { return 1; }
  static void entry_deinit() {}
  static const void* entry_factory(const char* id) {
    return std::strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : nullptr;
  }
};

}  // namespace tp

#define TP_RAW_PLUGIN(descriptor, hooks)                                       \
  extern "C" BUTTER_EXPORT const butter_plugin_entry butter_entry = {          \
      BUTTER_ABI_VERSION_INIT, tp::RawPlugin<&descriptor, &hooks>::entry_init, \
      tp::RawPlugin<&descriptor, &hooks>::entry_deinit, tp::RawPlugin<&descriptor, &hooks>::entry_factory};
