/* tp-no-factory: a plugin whose get_factory knows no factory at all (returns NULL).
 *
 * Proves that the loader refuses a file without BUTTER_PLUGIN_FACTORY_ID, and, since init did
 * succeed, still calls deinit before unloading (tests see it through BUTTER_TP_TRACE). */
#include <butter/butter.h>

#include <stdio.h>
#include <stdlib.h>

static void trace(const char* what) {
  const char* file = getenv("BUTTER_TP_TRACE");
  FILE* f;
  if (!file || !*file) return;
  f = fopen(file, "a");
  if (!f) return;
  fprintf(f, "%s\n", what);
  fclose(f);
}

static int e_init(const char* path) {
  (void)path;
  trace("init");
  return 1;
}
static void e_deinit(void) { trace("deinit"); }
static const void* e_get_factory(const char* id) {
  (void)id;
  return NULL;
}

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
