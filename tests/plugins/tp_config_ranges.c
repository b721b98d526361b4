/* tp-config-ranges: a C99 plugin whose config schema declares defaults, ranges, max_len and units
 * (butter_config_key_ext, ABI 1.3), written with designated initializers as a C author would.
 *
 * Proves that the loader reads the records (`butter inspect` shows them) and, built a second time
 * as tp-bad-schema with TP_BAD_SCHEMA defined (min above max), that a schema contradicting itself
 * refuses the plugin at load with the key and the reason. */
#include <butter/butter.h>

#include <stdlib.h>
#include <string.h>

static const butter_config_key schema[] = {
    {"ttl_ms", BUTTER_CONFIG_INT, 0, "entry lifetime"},
    {"ratio", BUTTER_CONFIG_FLOAT, 0, "share kept"},
    {"label", BUTTER_CONFIG_STRING, 0, NULL},
    {"port", BUTTER_CONFIG_INT, 1, NULL},
};

static const butter_config_key_ext schema_ext[] = {
    {.key = "ttl_ms",
     .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX,
     .unit = "ms",
     .int_default = 30000,
#ifdef TP_BAD_SCHEMA
     .int_min = 3600000,
     .int_max = 1},
#else
     .int_min = 1,
     .int_max = 3600000},
#endif
    {.key = "ratio",
     .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX,
     .float_default = 0.5,
     .float_min = 0,
     .float_max = 1},
    {.key = "label",
     .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN,
     .max_len = 16,
     .string_default = "none"},
    {.key = "port", .has = BUTTER_CONFIG_HAS_MIN | BUTTER_CONFIG_HAS_MAX, .int_min = 1, .int_max = 65535},
};

static const butter_plugin_descriptor descriptor = {
    .struct_size = sizeof(butter_plugin_descriptor),
    .abi = BUTTER_ABI_VERSION_INIT,
    .id = "test.config-ranges",
    .name = "Config ranges",
    .vendor = "Butter tests",
    .version = "1.0.0",
    .description = "declares defaults, ranges and units",
    .config_schema = schema,
    .config_schema_len = sizeof schema / sizeof schema[0],
    .config_key_ext = schema_ext,
    .config_key_ext_len = sizeof schema_ext / sizeof schema_ext[0],
    .config_key_ext_size = sizeof(butter_config_key_ext),
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
  return 1;
}
static void e_deinit(void) {}
static const void* e_get_factory(const char* id) { return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
