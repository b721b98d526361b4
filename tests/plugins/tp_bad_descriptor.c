/* tp-bad-descriptor: a plugin whose only descriptor has an id with characters ids may not use.
 *
 * Proves that descriptors are validated when the file is loaded (not when a node first uses
 * them) and that the refusal names the offending id. */
#include <butter/butter.h>

#include <stddef.h>

static const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "bad id!",
    "Bad",
    "Butter tests",
    "0.0.1",
    "An id with a space and a '!'",
    NULL,
    NULL,
    NULL,
    NULL,
    0,
    NULL,
    0,
    0,
};

static uint32_t f_count(const butter_plugin_factory* f) {
  (void)f;
  return 1;
}
static const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory* f, uint32_t i) {
  (void)f;
  return i == 0 ? &descriptor : NULL;
}
static const butter_plugin* f_create(const butter_plugin_factory* f, const butter_host* h, const char* id) {
  (void)f;
  (void)h;
  (void)id;
  return NULL;
}
static const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

static int e_init(const char* path) {
  (void)path;
  return 1;
}
static void e_deinit(void) {}
static const void* e_get_factory(const char* id) { return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
