/* tp-unresolved: a plugin that calls a function no library defines (linked without
 * --no-undefined, so the link succeeds).
 *
 * Proves that the loader dlopens with RTLD_NOW, so the missing symbol fails the load itself (not a
 * later call), and that dlerror's text, which names the symbol, reaches the error message. */
#include <butter/butter.h>

#include <stddef.h>

extern int butter_test_symbol_nobody_defines(int);

static int e_init(const char* path) {
  (void)path;
  return butter_test_symbol_nobody_defines(1);
}
static void e_deinit(void) {}
static const void* e_get_factory(const char* id) {
  (void)id;
  return NULL;
}

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
