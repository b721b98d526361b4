/* tp-abi-1-0: a plugin built against the frozen ABI 1.0.0 headers in ./include (not the live SDK).
 *
 * WHEN THE ABI MINOR GROWS, NEVER TOUCH THIS FILE OR ./include: they are what a third party built
 * against v1.0, and the test that loads them in the current host is the proof that an older minor
 * still loads in a newer host (see README.md).
 *
 * It answers requests on "/test/abi-1-0/1" with config `greeting` (default "abi 1.0: ") + the
 * payload, counts them in the metric abi10_served_total, and logs the node id at start — so that
 * it exercises the 1.0 descriptor, factory, lifecycle and the log, node, config, net and metrics
 * extensions as they were in 1.0. */
#include <butter/butter.h>

#include <stdlib.h>
#include <string.h>

#if BUTTER_ABI_MAJOR != 1 || BUTTER_ABI_MINOR != 0
#error "tp-abi-1-0 must be built against the frozen ABI 1.0 headers of tests/plugins/abi-1.0/include"
#endif

static const butter_config_key schema[] = {
    {"greeting", BUTTER_CONFIG_STRING, 0, "prefix of every answer (default \"abi 1.0: \")"},
};

static const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "test.abi-1-0",
    "ABI 1.0 plugin",
    "Butter tests",
    "1.0.0",
    "Built against the frozen ABI 1.0 headers; answers /test/abi-1-0/1",
    NULL,
    NULL,
    NULL,
    schema,
    1,
};

typedef struct abi10 {
  butter_plugin plugin;
  const butter_host* host;
  const butter_log_v1* log;
  const butter_node_v1* node;
  const butter_config_v1* config;
  const butter_net_v1* net;
  const butter_metrics_v1* metrics;
  char* greeting;
  size_t greeting_len;
} abi10;

static butter_str str_of(const char* s) {
  butter_str out;
  out.data = s;
  out.len = strlen(s);
  return out;
}

static void on_request(void* user, const butter_net_message* msg) {
  abi10* a = (abi10*)user;
  size_t n;
  uint8_t* answer;
  butter_bytes out;
  if (msg->reply_token == 0) return;
  n = a->greeting_len + msg->payload.len;
  answer = (uint8_t*)malloc(n ? n : 1);
  if (!answer) {
    butter_bytes none;
    none.data = NULL;
    none.len = 0;
    a->net->reply(a->host, msg->reply_token, BUTTER_E_NOMEM, none);
    return;
  }
  if (a->greeting_len) memcpy(answer, a->greeting, a->greeting_len);
  if (msg->payload.len) memcpy(answer + a->greeting_len, msg->payload.data, msg->payload.len);
  out.data = answer;
  out.len = n;
  a->net->reply(a->host, msg->reply_token, BUTTER_OK, out);
  free(answer);
  if (a->metrics) a->metrics->counter_add(a->host, str_of("abi10_served_total"), 1);
}

static butter_status p_init(const butter_plugin* p, butter_error* err) {
  abi10* a = (abi10*)p->plugin_data;
  butter_str greeting = str_of("abi 1.0: ");
  butter_status s;
  if (!a->net || !a->config)
    return butter_error_set(err, BUTTER_E_UNSUPPORTED, "tp-abi-1-0: no butter.net/1 or butter.config/1");
  s = a->config->get_string(a->host, "greeting", &greeting);
  if (s != BUTTER_OK && s != BUTTER_E_NOT_FOUND) return butter_error_set(err, s, "tp-abi-1-0: bad greeting");
  a->greeting = (char*)malloc(greeting.len + 1);
  if (!a->greeting) return butter_error_set(err, BUTTER_E_NOMEM, "tp-abi-1-0: out of memory");
  if (greeting.len) memcpy(a->greeting, greeting.data, greeting.len);
  a->greeting[greeting.len] = '\0';
  a->greeting_len = greeting.len;
  if (a->metrics) a->metrics->describe(a->host, str_of("abi10_served_total"), str_of("Requests answered"));
  return a->net->handle(a->host, str_of("/test/abi-1-0/1"), on_request, a, err);
}

static butter_status p_start(const butter_plugin* p, butter_error* err) {
  abi10* a = (abi10*)p->plugin_data;
  (void)err;
  if (a->log && a->node) {
    butter_str id = a->node->id(a->host);
    char line[128] = "tp-abi-1-0 started on node ";
    size_t used = strlen(line);
    size_t take = id.len < sizeof line - used - 1 ? id.len : sizeof line - used - 1;
    memcpy(line + used, id.data, take);
    line[used + take] = '\0';
    a->log->log(a->host, BUTTER_LOG_INFO, str_of(line));
  }
  return BUTTER_OK;
}

static void p_stop(const butter_plugin* p) { (void)p; }

static void p_destroy(const butter_plugin* p) {
  abi10* a = (abi10*)p->plugin_data;
  free(a->greeting);
  free(a);
}

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
  abi10* a;
  (void)f;
  if (strcmp(id, descriptor.id) != 0) return NULL;
  a = (abi10*)calloc(1, sizeof *a);
  if (!a) return NULL;
  a->host = host;
  a->log = (const butter_log_v1*)host->get_extension(host, BUTTER_EXT_LOG);
  a->node = (const butter_node_v1*)host->get_extension(host, BUTTER_EXT_NODE);
  a->config = (const butter_config_v1*)host->get_extension(host, BUTTER_EXT_CONFIG);
  a->net = (const butter_net_v1*)host->get_extension(host, BUTTER_EXT_NET);
  a->metrics = (const butter_metrics_v1*)host->get_extension(host, BUTTER_EXT_METRICS);
  a->plugin.desc = &descriptor;
  a->plugin.plugin_data = a;
  a->plugin.init = p_init;
  a->plugin.start = p_start;
  a->plugin.stop = p_stop;
  a->plugin.destroy = p_destroy;
  a->plugin.get_extension = p_get_extension;
  return &a->plugin;
}

static const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

static int e_init(const char* path) {
  (void)path;
  return 1;
}

static void e_deinit(void) {}

static const void* e_get_factory(const char* id) { return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL; }

BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
