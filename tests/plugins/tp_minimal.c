/* tp-minimal: the smallest valid Butter plugin, in plain C99 against <butter/butter.h> only.
 *
 * Proves that the loader reads a well-formed file: ABI 1.0.0, one descriptor ("test.minimal") with
 * every identity field set, one provided interface ("test.minimal/1") and a config schema of two
 * keys. Its instances do nothing. When the environment variable BUTTER_TP_TRACE names a file, the
 * entry's init and deinit append a line to it, so that tests can see that deinit ran exactly once
 * before the file was unloaded. */
#include <butter/butter.h>

#include <stdio.h>
#include <stdlib.h>

static void trace(const char* what) {
  const char* file = getenv("BUTTER_TP_TRACE");
  if (!file || !*file) return;
  FILE* f = fopen(file, "a");
  if (!f) return;
  fprintf(f, "%s\n", what);
  fclose(f);
}

static const char* const provides[] = {"test.minimal/1", NULL};

static const butter_config_key schema[] = {
    {"greeting", BUTTER_CONFIG_STRING, 1, "What to say"},
    {"interval_ms", BUTTER_CONFIG_INT, 0, "How often to say it"},
};

static const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.minimal",
    "Minimal test plugin",
    "Butter tests",
    "1.2.3",
    "Does nothing, correctly.",
    provides,
    NULL,
    NULL,
    schema,
    2,
    NULL, /* config_key_ext (ABI 1.3): no defaults or ranges */
    0,
    0,
};

static butter_status p_init(const butter_plugin* p, butter_error* err) {
  (void)p;
  (void)err;
  return BUTTER_OK;
}
static butter_status p_start(const butter_plugin* p, butter_error* err) {
  (void)p;
  (void)err;
  return BUTTER_OK;
}
static void p_stop(const butter_plugin* p) { (void)p; }
static void p_destroy(const butter_plugin* p) { free((void*)p); }
static const void* p_get_extension(const butter_plugin* p, const char* id) {
  (void)p;
  (void)id;
  return NULL;
}

static uint32_t f_count(const butter_plugin_factory* f) {
  (void)f;
  return 1;
}

static const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory* f, uint32_t index) {
  (void)f;
  return index == 0 ? &descriptor : NULL;
}

static const butter_plugin* f_create(const butter_plugin_factory* f, const butter_host* host, const char* id) {
  butter_plugin* p;
  (void)f;
  (void)host;
  (void)id;
  p = (butter_plugin*)calloc(1, sizeof *p);
  if (!p) return NULL;
  p->desc = &descriptor;
  p->init = p_init;
  p->start = p_start;
  p->stop = p_stop;
  p->destroy = p_destroy;
  p->get_extension = p_get_extension;
  return p;
}

static const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

static int e_init(const char* path) {
  (void)path;
  trace("init");
  return 1;
}
static void e_deinit(void) { trace("deinit"); }

static const void* e_get_factory(const char* id) { return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
