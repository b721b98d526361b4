/* tp-init-fails: a plugin whose entry init returns 0 (failure).
 *
 * Proves that the loader refuses the file with "init failed" and unloads it WITHOUT calling
 * deinit (entry.h: "on zero the host unloads the file without calling deinit"): deinit and
 * get_factory abort the process. */
#include <butter/butter.h>

#include <stdlib.h>

static int e_init(const char* path) {
  (void)path;
  return 0;
}
static void e_deinit(void) { abort(); }
static const void* e_get_factory(const char* id) {
  (void)id;
  abort();
}

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
