/* tp-multi: one file offering two plugins through one factory.
 *
 * Proves that the loader copies every descriptor of a file (count/get_descriptor), with their
 * provided, required and optional interface lists, and that the factory creates an instance of
 * whichever id it is asked for: "test.multi.a" provides test.multi.a/1; "test.multi.b" provides
 * test.multi.b/1, requires test.multi.a/1 and optionally uses test.other/1. */
#include <butter/butter.h>

#include <stdlib.h>

static const char* const a_provides[] = {"test.multi.a/1", NULL};
static const char* const b_provides[] = {"test.multi.b/1", NULL};
static const char* const b_required[] = {"test.multi.a/1", NULL};
static const char* const b_optional[] = {"test.other/1", NULL};

static const butter_config_key b_schema[] = {
    {"peers", BUTTER_CONFIG_STRING_ARRAY, 0, "Who to talk to"},
    {"ratio", BUTTER_CONFIG_FLOAT, 0, NULL},
    {"verbose", BUTTER_CONFIG_BOOL, 1, "Say more"},
};

static const butter_plugin_descriptor descriptors[2] = {
    {sizeof(butter_plugin_descriptor), BUTTER_ABI_VERSION_INIT, "test.multi.a", "Multi A", "Butter tests", "0.1.0",
     "The first of two", a_provides, NULL, NULL, NULL, 0, NULL, 0, 0},
    {sizeof(butter_plugin_descriptor), BUTTER_ABI_VERSION_INIT, "test.multi.b", "Multi B", "Butter tests", "0.2.0",
     "The second of two", b_provides, b_required, b_optional, b_schema, 3, NULL, 0, 0},
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
  return 2;
}

static const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory* f, uint32_t index) {
  (void)f;
  return index < 2 ? &descriptors[index] : NULL;
}

static const butter_plugin* f_create(const butter_plugin_factory* f, const butter_host* host, const char* id) {
  const butter_plugin_descriptor* d = NULL;
  butter_plugin* p;
  (void)f;
  (void)host;
  if (strcmp(id, "test.multi.a") == 0) d = &descriptors[0];
  if (strcmp(id, "test.multi.b") == 0) d = &descriptors[1];
  if (!d) return NULL;
  p = (butter_plugin*)calloc(1, sizeof *p);
  if (!p) return NULL;
  p->desc = d;
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
