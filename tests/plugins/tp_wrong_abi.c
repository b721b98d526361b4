/* tp-wrong-abi: a plugin built for a future ABI major (2.0.0).
 *
 * Proves that the host reads butter_entry.abi before calling anything and refuses another major:
 * every entry function aborts the process, so a host that called one would crash the test. */
#include <butter/butter.h>

#include <stdlib.h>

static int e_init(const char* path) {
  (void)path;
  abort();
}
static void e_deinit(void) { abort(); }
static const void* e_get_factory(const char* id) {
  (void)id;
  abort();
}

BUTTER_EXPORT const butter_plugin_entry butter_entry = {{2, 0, 0}, e_init, e_deinit, e_get_factory};
