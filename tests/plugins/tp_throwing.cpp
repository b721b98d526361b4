// tp-throwing: a misbehaving third-party plugin written in C++ against the raw C ABI, with no
// wrapper catching anything. Plugin id "test.throwing": its instance's init registers nothing and
// succeeds, but start throws std::runtime_error straight through the C boundary.
//
// Proves that the host survives a plugin that breaks the "no exception crosses" rule: every call
// into plugin code is wrapped in try/catch(...), and the instance is isolated instead of the
// exception unwinding through the node. Built with the normal plugin flags.
#include <butter/butter.h>

#include <cstring>
#include <new>
#include <stdexcept>

namespace {

const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.throwing",
    "Throwing plugin",
    "Butter tests",
    "1.0.0",
    "start throws std::runtime_error",
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    0,
    nullptr,
    0,
    0,
};

butter_status p_init(const butter_plugin*, butter_error*) { return BUTTER_OK; }
butter_status p_start(const butter_plugin*, butter_error*) {
  throw std::runtime_error("tp-throwing: start throws through the C ABI");
}
void p_stop(const butter_plugin*) {}
void p_destroy(const butter_plugin* p) { delete p; }
const void* p_get_extension(const butter_plugin*, const char*) { return nullptr; }

uint32_t f_count(const butter_plugin_factory*) { return 1; }
const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory*, uint32_t i) {
  return i == 0 ? &descriptor : nullptr;
}
const butter_plugin* f_create(const butter_plugin_factory*, const butter_host*, const char*) {
  auto* p = new butter_plugin{};
  p->desc = &descriptor;
  p->init = p_init;
  p->start = p_start;
  p->stop = p_stop;
  p->destroy = p_destroy;
  p->get_extension = p_get_extension;
  return p;
}
const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

int e_init(const char*) { return 1; }
void e_deinit() {}
const void* e_get_factory(const char* id) {
  return std::strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : nullptr;
}

}  // namespace

extern "C" BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit,
                                                                   e_get_factory};
