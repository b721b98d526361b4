/* echo.c — the echo protocol written in plain C99 against <butter/butter.h> alone.
 *
 * This file is a guided tour of the Butter plugin ABI, in the spirit of Redis' hello*.c modules.
 * Read it top to bottom; every section says which part of the ABI it shows. The C++ wrapper
 * (butter/plugin.hpp, see examples/echo) does all of this for you; here nothing is hidden.
 *
 * What the plugin does: it answers requests on a protocol (config `protocol`, default
 * "/butter/echo-c/1") with `greeting` + the request's payload, and counts them in the metric
 * echo_c_served_total. The default protocol differs from the C++ example's "/butter/echo/1"
 * because a node routes each protocol to at most one instance: set `protocol = "/butter/echo/1"`
 * to make this plugin *the* echo handler of a node that does not load the C++ one.
 *
 * 1. THE ONE EXPORT. A plugin .so exports exactly one symbol, the data object `butter_entry`
 *    (the SDK's version script hides everything else). It carries the ABI version the plugin was
 *    built against (the host refuses another major before calling anything), init/deinit for the
 *    whole file, and get_factory(), which hands out the plugin factory.
 *
 * 2. THE FACTORY describes the plugins of the file (one here) with static descriptors: id, name,
 *    the interfaces it provides/requires and the config schema the host validates the manifest
 *    against. It creates one INSTANCE per node: a process may run many nodes, so no globals for
 *    per-node state — everything lives in `struct echo`, reached through plugin->plugin_data.
 *
 * 3. THE LIFECYCLE, always on the node's executor (thread tag [node]; calls are serial per node,
 *    so no locks): create -> init -> start -> (callbacks) -> stop -> destroy.
 *
 * 4. EXTENSIONS: everything the host offers is a vtable fetched by id through
 *    host->get_extension(host, "butter.net/1"). Keep the pointers until destroy.
 *
 * 5. OWNERSHIP: every pointer you are given is borrowed for the call (copy what you keep); strings
 *    are pointer + length (butter_str), not NUL-terminated; nothing is freed by the side that did
 *    not allocate it. Errors are status codes plus a caller-owned butter_error.
 */
#include <butter/butter.h>

#include <stdlib.h>
#include <string.h>

/* ---- 2. The descriptor: static data, valid until deinit. -------------------------------------
 * The config schema lists every key the manifest may set for this plugin; an unknown key, a wrong
 * type or a missing required key is reported by the host at its file:line:column before anything
 * starts. */
static const butter_config_key echo_config[] = {
    {"greeting", BUTTER_CONFIG_STRING, 0, "prefix added to every answer"},
    {"protocol", BUTTER_CONFIG_STRING, 0, "protocol id to answer on"},
};

/* What the keys default to, and bounds on their values (ABI 1.3): one record per key that has
 * any, naming it. The host serves a default through butter.config/1 when the manifest leaves the
 * key out, so each default is written here and nowhere else; a value beyond a bound (min/max of a
 * number, max_len of a string) is an error at its file:line:column. */
static const butter_config_key_ext echo_config_ext[] = {
    {.key = "greeting",
     .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN,
     .max_len = 4096,
     .string_default = ""},
    {.key = "protocol",
     .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN,
     .max_len = 256,
     .string_default = "/butter/echo-c/1"},
};

static const butter_plugin_descriptor echo_descriptor = {
    sizeof(butter_plugin_descriptor), /* struct_size: lets the struct grow in later minors */
    BUTTER_ABI_VERSION_INIT,
    "butter.example.echo-c",
    "Echo (C)",
    "Butter",
    "1.0.0",
    "The echo protocol in plain C: answers with greeting + payload",
    NULL, /* provides: no interface for other plugins */
    NULL, /* required */
    NULL, /* optional */
    echo_config,
    (uint32_t)(sizeof echo_config / sizeof echo_config[0]),
    echo_config_ext, /* ABI 1.3: defaults and bounds of the keys above */
    (uint32_t)(sizeof echo_config_ext / sizeof echo_config_ext[0]),
    sizeof(butter_config_key_ext), /* the stride of echo_config_ext, so the struct can grow */
};

/* ---- 3. The instance. ------------------------------------------------------------------------
 * `plugin` must be the first member: the host hands back `const butter_plugin*` and we use
 * plugin_data to find the rest. */
typedef struct echo {
  butter_plugin plugin;
  const butter_host* host;
  const butter_log_v1* log;
  const butter_config_v1* config;
  const butter_net_v1* net;
  const butter_metrics_v1* metrics; /* may be NULL: metrics are optional */
  char* greeting;                   /* copies: config strings are the host's */
  size_t greeting_len;
  char* protocol;
  size_t protocol_len;
} echo;

static butter_str str_of(const char* s) {
  butter_str out;
  out.data = s;
  out.len = strlen(s);
  return out;
}

static void echo_log(const echo* e, int32_t level, const char* msg) {
  if (e->log) e->log->log(e->host, level, str_of(msg));
}

/* Copies a borrowed butter_str into a NUL-terminated heap string. */
static char* copy_str(butter_str s) {
  char* out = (char*)malloc(s.len + 1);
  if (!out) return NULL;
  if (s.len) memcpy(out, s.data, s.len);
  out[s.len] = '\0';
  return out;
}

/* Reads a string config key into a heap copy (*out). An absent key reads as its schema default
 * (echo_config_ext); `fallback` is what a host older than ABI 1.3, which serves none, leaves. */
static butter_status config_string(const echo* e, const char* key, const char* fallback, char** out,
                                   butter_error* err) {
  butter_str value = str_of(fallback); /* getters leave *out untouched on NOT_FOUND */
  butter_status s = e->config ? e->config->get_string(e->host, key, &value) : BUTTER_E_NOT_FOUND;
  if (s != BUTTER_OK && s != BUTTER_E_NOT_FOUND)
    return butter_error_set(err, s, "echo-c: a config key has the wrong type");
  *out = copy_str(value);
  if (!*out) return butter_error_set(err, BUTTER_E_NOMEM, "echo-c: out of memory");
  return BUTTER_OK;
}

/* ---- The request handler. --------------------------------------------------------------------
 * [node] Called for every message on our protocol. `msg` and everything in it are borrowed for
 * this call. A request (reply_token != 0) must be answered exactly once — now, as here, or later
 * by keeping the token. The reply payload is copied by the host, so a stack or heap buffer that we
 * free right after is fine. One-way messages (token 0) need no answer. */
static void on_echo(void* user, const butter_net_message* msg) {
  echo* e = (echo*)user;
  size_t n;
  uint8_t* answer;
  butter_bytes out;

  if (msg->reply_token == 0) return; /* a one-way message: nothing to answer */

  n = e->greeting_len + msg->payload.len;
  answer = (uint8_t*)malloc(n ? n : 1);
  if (!answer) {
    const char* why = "echo-c: out of memory";
    butter_bytes reason;
    reason.data = (const uint8_t*)why;
    reason.len = strlen(why);
    e->net->reply(e->host, msg->reply_token, BUTTER_E_NOMEM, reason);
    return;
  }
  if (e->greeting_len) memcpy(answer, e->greeting, e->greeting_len);
  if (msg->payload.len) memcpy(answer + e->greeting_len, msg->payload.data, msg->payload.len);
  out.data = answer;
  out.len = n;
  e->net->reply(e->host, msg->reply_token, BUTTER_OK, out);
  free(answer);

  if (e->metrics) e->metrics->counter_add(e->host, str_of("echo_c_served_total"), 1);
}

/* ---- 3. Lifecycle functions. -----------------------------------------------------------------
 * init: read config and register handlers. Must not block. On failure, fill `err` (the caller owns
 * it) and return an error: the host then destroys the instance without starting it. */
static butter_status echo_init(const butter_plugin* plugin, butter_error* err) {
  echo* e = (echo*)plugin->plugin_data;
  butter_status s;

  if (!e->net) return butter_error_set(err, BUTTER_E_UNSUPPORTED, "echo-c: the host offers no butter.net/1");

  s = config_string(e, "greeting", "", &e->greeting, err);
  if (s != BUTTER_OK) return s;
  e->greeting_len = strlen(e->greeting);
  s = config_string(e, "protocol", "", &e->protocol, err);
  if (s != BUTTER_OK) return s;
  e->protocol_len = strlen(e->protocol);

  if (e->metrics)
    e->metrics->describe(e->host, str_of("echo_c_served_total"), str_of("Echo requests answered by echo-c"));

  /* `user` (here `e`) comes back as the first argument of on_echo; it must stay valid until the
   * handler is removed — our instance lives until destroy, and the host drops the handler at
   * stop. handle() fails when another instance of the node already handles the protocol. */
  {
    butter_str protocol;
    protocol.data = e->protocol;
    protocol.len = e->protocol_len;
    s = e->net->handle(e->host, protocol, on_echo, e, err);
  }
  if (s != BUTTER_OK) return s;

  echo_log(e, BUTTER_LOG_INFO, "echo-c: answering requests");
  return BUTTER_OK;
}

/* start: the interfaces we require are up now. We have nothing more to begin. */
static butter_status echo_start(const butter_plugin* plugin, butter_error* err) {
  (void)plugin;
  (void)err;
  return BUTTER_OK;
}

/* stop: must not block. We could unhandle the protocol; the host does it for us after stop. */
static void echo_stop(const butter_plugin* plugin) {
  echo* e = (echo*)plugin->plugin_data;
  echo_log(e, BUTTER_LOG_DEBUG, "echo-c: stopping");
}

/* destroy: free everything the instance allocated. `plugin` is invalid afterwards. */
static void echo_destroy(const butter_plugin* plugin) {
  echo* e = (echo*)plugin->plugin_data;
  free(e->greeting);
  free(e->protocol);
  free(e);
}

/* get_extension: the interfaces this instance serves to the host and other plugins (for example
 * "butter.state/1" for hot swap, or "butter.peers/1"). We serve none. */
static const void* echo_get_extension(const butter_plugin* plugin, const char* id) {
  (void)plugin;
  (void)id;
  return NULL;
}

/* ---- 2. The factory. -------------------------------------------------------------------------
 * count/get_descriptor are called on the host's main thread [main]; create on the node's executor
 * [node], once per node. `host` stays valid until the instance is destroyed. */
static uint32_t factory_count(const butter_plugin_factory* factory) {
  (void)factory;
  return 1;
}

static const butter_plugin_descriptor* factory_get_descriptor(const butter_plugin_factory* factory, uint32_t index) {
  (void)factory;
  return index == 0 ? &echo_descriptor : NULL;
}

static const butter_plugin* factory_create(const butter_plugin_factory* factory, const butter_host* host,
                                           const char* plugin_id) {
  echo* e;
  (void)factory;
  if (strcmp(plugin_id, echo_descriptor.id) != 0) return NULL;
  e = (echo*)calloc(1, sizeof *e);
  if (!e) return NULL;
  e->host = host;
  /* 4. Extensions by id. A NULL answer means "this host does not offer it". */
  e->log = (const butter_log_v1*)host->get_extension(host, BUTTER_EXT_LOG);
  e->config = (const butter_config_v1*)host->get_extension(host, BUTTER_EXT_CONFIG);
  e->net = (const butter_net_v1*)host->get_extension(host, BUTTER_EXT_NET);
  e->metrics = (const butter_metrics_v1*)host->get_extension(host, BUTTER_EXT_METRICS);

  e->plugin.desc = &echo_descriptor;
  e->plugin.plugin_data = e;
  e->plugin.init = echo_init;
  e->plugin.start = echo_start;
  e->plugin.stop = echo_stop;
  e->plugin.destroy = echo_destroy;
  e->plugin.get_extension = echo_get_extension;
  return &e->plugin;
}

static const butter_plugin_factory echo_factory = {factory_count, factory_get_descriptor, factory_create};

/* ---- 1. The entry. ---------------------------------------------------------------------------
 * init/deinit run once per loaded file (not per node): a place for process-wide setup. We have
 * none. deinit must join every thread the plugin started; we start none. */
static int entry_init(const char* plugin_path) {
  (void)plugin_path;
  return 1; /* non-zero: success */
}

static void entry_deinit(void) {}

static const void* entry_get_factory(const char* factory_id) {
  return strcmp(factory_id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &echo_factory : NULL;
}

BUTTER_EXPORT const butter_plugin_entry butter_entry = {
    BUTTER_ABI_VERSION_INIT,
    entry_init,
    entry_deinit,
    entry_get_factory,
};
