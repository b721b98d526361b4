/* tp-failing-start: a plugin ("test.failing-start") that loads and initialises fine but whose
 * start fails with BUTTER_E_INTERNAL and a message.
 *
 * Proves (in node tests) that a failing instance is isolated — destroyed without stop, its
 * reason logged — while the node and its other instances keep running. */
#include <butter/butter.h>

#include <stdlib.h>

#define TP_FAILING_START_MESSAGE "tp-failing-start: start fails on purpose"

static const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.failing-start",
    "Failing start",
    "Butter tests",
    "1.0.0",
    "start returns BUTTER_E_INTERNAL",
    NULL,
    NULL,
    NULL,
    NULL,
    0,
    NULL,
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
  return butter_error_set(err, BUTTER_E_INTERNAL, TP_FAILING_START_MESSAGE);
}
static void p_stop(const butter_plugin* p) { (void)p; /* never called: start failed */ }
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
static const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory* f, uint32_t i) {
  (void)f;
  return i == 0 ? &descriptor : NULL;
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
  return 1;
}
static void e_deinit(void) {}
static const void* e_get_factory(const char* id) { return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
