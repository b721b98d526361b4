// Templates of `butter new-plugin`. Placeholders: @NAME@ (the plugin's name, e.g. "hello-world"),
// @IDENT@ ("hello_world"), @CLASS@ ("HelloWorld"), @ID@ ("org.example.hello-world"),
// @PROTOCOL@ ("/hello-world/1"), @METRIC@ ("hello_world_requests_total"), @EXT@ ("cpp" or "c"),
// @LANGUAGE@ ("CXX" or "C"), @LANG_NAME@ ("C++" or "C"), @IFACE@ (the --provides id) and the
// blocks that --provides adds: @IFACE_DECL@, @IFACE_IMPL@, @IFACE_PROVIDE@, @PROVIDES@,
// @IFACE_EXT@, @IFACE_README@.
#include "cli/plugin_templates.hpp"

namespace butter::host::templates {

const char* const kCMakeLists = R"~(# @NAME@: a Butter plugin, built outside the Butter tree against an installed SDK.
#
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<where Butter is installed>
#   cmake --build build                    # -> build/@NAME@.so
#   ctest --test-dir build                 # butter inspect, butter check manifest.toml, the unit test
#   <prefix>/bin/butter run manifest.toml  # a node with the plugin
cmake_minimum_required(VERSION 3.22)
project(@NAME@ VERSION 0.1.0 LANGUAGES @LANGUAGE@)

# butter::sdk (the headers), butter_add_plugin() (the plugin flags: hidden visibility, the version
# script exporting only butter_entry, --no-undefined, -fno-gnu-unique) and BUTTER_EXECUTABLE.
find_package(butter REQUIRED)

butter_add_plugin(@NAME@ SOURCES src/@NAME@.@EXT@)
target_compile_options(@NAME@ PRIVATE -Wall -Wextra -Wpedantic)

enable_testing()
# The file loads in the host (right ABI, nothing unresolved) and describes itself.
add_test(NAME @NAME@-inspect COMMAND ${BUTTER_EXECUTABLE} inspect $<TARGET_FILE:@NAME@>)
set_tests_properties(@NAME@-inspect PROPERTIES PASS_REGULAR_EXPRESSION "@ID@")
# manifest.toml composes a valid node with it. The manifest names build/@NAME@.so; the test checks
# a copy that names this build's file, wherever the build folder is.
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/manifest.toml manifest)
string(REPLACE "build/@NAME@.so" "$<TARGET_FILE:@NAME@>" manifest "${manifest}")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/manifest.toml CONTENT "${manifest}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS manifest.toml)
add_test(NAME @NAME@-manifest COMMAND ${BUTTER_EXECUTABLE} check ${CMAKE_CURRENT_BINARY_DIR}/manifest.toml)
# A unit test without a node: the built plugin on the SDK's fake host (<butter/testing.hpp>, C++).
enable_language(CXX)
add_executable(@NAME@-unit test/@NAME@_test.cpp)
target_compile_features(@NAME@-unit PRIVATE cxx_std_20)
target_link_libraries(@NAME@-unit PRIVATE butter::sdk ${CMAKE_DL_LIBS})
add_test(NAME @NAME@-unit COMMAND @NAME@-unit $<TARGET_FILE:@NAME@>)
)~";

const char* const kUnitTest =
    R"~(// A unit test of @NAME@ on the SDK's fake host (<butter/testing.hpp>): no node, no network. It
// loads the built plugin file as a node would, creates an instance on the fake host and plays the
// node's part: it delivers a request, then reads the reply and the metric the plugin recorded.
// The fake keeps the node's limits and its thread rule; see the header for what else it can do
// (config values, timers it fires on a clock you move, HTTP routes you call, events).
#include <butter/testing.hpp>

#include <cstdio>
#include <string>

#include <dlfcn.h>

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
    return 2;
  }
  void* so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!so) std::fprintf(stderr, "%s\n", dlerror());
  CHECK(so != nullptr);
  const auto* entry = static_cast<const butter_plugin_entry*>(dlsym(so, "butter_entry"));
  CHECK(entry != nullptr && entry->init(argv[1]));
  const auto* factory = static_cast<const butter_plugin_factory*>(entry->get_factory(BUTTER_PLUGIN_FACTORY_ID));
  CHECK(factory != nullptr);
  {
    butter::testing::Host node;
    butter::testing::Instance plugin(factory, node, "@ID@");
    CHECK(plugin.p != nullptr);
    CHECK(plugin.init() == BUTTER_OK);
    CHECK(plugin.start() == BUTTER_OK);
    // The manifest leaves `greeting` out: the plugin gets its schema's default.
    const std::uint64_t token = node.deliver("@PROTOCOL@", "world");
    const auto* reply = node.reply_for(token);
    CHECK(reply != nullptr);
    CHECK(reply->status == BUTTER_OK);
    CHECK(reply->payload == "hello, world");
    CHECK(node.counters["@METRIC@"] == 1);
    // A greeting set in the manifest, on a second instance.
    butter::testing::Host node2;
    node2.config["greeting"] = std::string("hi ");
    butter::testing::Instance plugin2(factory, node2, "@ID@");
    CHECK(plugin2.init() == BUTTER_OK);
    CHECK(plugin2.start() == BUTTER_OK);
    const auto* reply2 = node2.reply_for(node2.deliver("@PROTOCOL@", "there"));
    CHECK(reply2 != nullptr && reply2->payload == "hi there");
  }  // the instances stop and are destroyed here, before the file is closed
  entry->deinit();
  dlclose(so);
  std::puts("@NAME@: unit test passed");
  return 0;
}
)~";

const char* const kCppSource = R"~(// @NAME@: a Butter plugin written with the C++ wrapper (<butter/plugin.hpp>).
//
// It answers requests on "@PROTOCOL@" with the config key `greeting` + the request's payload and
// counts them in the metric @METRIC@.@IFACE_README@ The SDK's README
// (<prefix>/share/doc/butter/README.md) tells the rules: lifecycle, threads, ownership.
#include <butter/plugin.hpp>

#include <cstdint>
#include <string>
@IFACE_DECL@
namespace {

class @CLASS@ : public butter::Plugin {
 public:
  using Plugin::Plugin;

  // Reads config and registers handlers; throw to fail (the message reaches the host).
  void init() override {
    greeting_ = config().get_string("greeting");  // absent: the schema default below
    metrics().describe("@METRIC@", "Requests answered on @PROTOCOL@");
    on("@PROTOCOL@", [this](const butter::Request& req, butter::Reply& reply) {
      ++served_;
      served_total_.add();
      reply.ok(greeting_ + std::string(req.text()));
    });@IFACE_PROVIDE@
  }

  void start() override { log().info("answering on @PROTOCOL@"); }

  std::uint64_t served() const { return served_; }

 private:
  std::string greeting_;
  std::uint64_t served_ = 0;
  butter::Counter served_total_ = metrics().counter("@METRIC@");
};
@IFACE_IMPL@
}  // namespace

BUTTER_PLUGIN(@CLASS@, butter::Descriptor{
    .id = "@ID@",
    .name = "@NAME@",
    .vendor = "Example",
    .version = "0.1.0",
    .description = "Answers @PROTOCOL@ with greeting + payload",@PROVIDES@
    .config = {
        butter::config_string("greeting", "hello, ").max_len(1024).describe("prefix of every answer"),
    }});
)~";

const char* const kCppIfaceDecl = R"~(
// "@IFACE@", the interface this plugin provides to the other plugins of its node. They acquire it
// per callback through the services broker:
//   if (auto s = services().acquire<@IDENT@_v1>("@IFACE@")) { std::uint64_t n; s->served(s.provider(), &n); }
// Move this struct to a header of its own for them. Once published it is frozen: growth is a new
// id ("/2") served beside this one.
struct @IDENT@_v1 {
  // [node] The number of requests this instance has answered, in *out.
  butter_status (*served)(const butter_plugin* provider, std::uint64_t* out);
};

namespace {
const @IDENT@_v1* iface_vtable();  // defined below the plugin class
}  // namespace
)~";

const char* const kCppIfaceImpl = R"~(
// The vtable served as "@IFACE@". Its functions get the provider's butter_plugin back;
// butter::guard finds the C++ object and turns exceptions into a status.
butter_status iface_served(const butter_plugin* provider, std::uint64_t* out) {
  return butter::guard<@CLASS@>(provider, [&](@CLASS@& self) { *out = self.served(); });
}

const @IDENT@_v1 kIface = {iface_served};

const @IDENT@_v1* iface_vtable() { return &kIface; }
)~";

const char* const kCSource = R"~(/* @NAME@: a Butter plugin in plain C99 against <butter/butter.h> alone.
 *
 * It answers requests on "@PROTOCOL@" with the config key `greeting` + the request's payload and
 * counts them in the metric @METRIC@.@IFACE_README@ The SDK's README
 * (<prefix>/share/doc/butter/README.md) tells the rules: lifecycle, threads, ownership. */
#include <butter/butter.h>

#include <stdlib.h>
#include <string.h>
@IFACE_DECL@
/* The config schema: the host checks the manifest against it before anything starts. */
static const butter_config_key config_keys[] = {
    {"greeting", BUTTER_CONFIG_STRING, 0, "prefix of every answer"},
};
/* What a key defaults to and which values are in range (ABI 1.3; `min`/`max`/`unit` for numbers).
 * The host serves the default through butter.config/1 when the manifest leaves the key out, so it
 * is written here only, and refuses a value out of range at its file:line:column. */
static const butter_config_key_ext config_key_ext[] = {
    {.key = "greeting", .has = BUTTER_CONFIG_HAS_DEFAULT | BUTTER_CONFIG_HAS_MAX_LEN, .max_len = 1024,
     .string_default = "hello, "},
};
@PROVIDES@
static const butter_plugin_descriptor descriptor = {
    sizeof(butter_plugin_descriptor),
    BUTTER_ABI_VERSION_INIT,
    "@ID@",
    "@NAME@",
    "Example",
    "0.1.0",
    "Answers @PROTOCOL@ with greeting + payload",
    @PROVIDES_FIELD@, /* provides: a NULL-terminated list of interface ids, or NULL */
    NULL, /* required */
    NULL, /* optional */
    config_keys,
    (uint32_t)(sizeof config_keys / sizeof config_keys[0]),
    config_key_ext,
    (uint32_t)(sizeof config_key_ext / sizeof config_key_ext[0]),
    sizeof(butter_config_key_ext), /* the stride of config_key_ext */
};

/* One instance per node: everything per node lives here, never in globals. */
typedef struct @IDENT@ {
  butter_plugin plugin; /* first: the host hands back &plugin */
  const butter_host* host;
  const butter_log_v1* log;
  const butter_config_v1* config;
  const butter_net_v1* net;
  const butter_metrics_v1* metrics; /* may be NULL */
  char* greeting;                   /* a copy: config strings are the host's */
  size_t greeting_len;
  uint64_t served;
} @IDENT@;

static butter_str str_of(const char* s) {
  butter_str out;
  out.data = s;
  out.len = strlen(s);
  return out;
}
@IFACE_IMPL@
/* [node] A message on our protocol; `msg` is borrowed for the call. A request (reply_token != 0)
 * is answered exactly once; the host copies the reply payload. */
static void on_request(void* user, const butter_net_message* msg) {
  @IDENT@* self = (@IDENT@*)user;
  size_t n = self->greeting_len + msg->payload.len;
  uint8_t* answer;
  butter_bytes out;
  if (msg->reply_token == 0) return; /* one-way: nothing to answer */
  answer = (uint8_t*)malloc(n ? n : 1);
  if (!answer) {
    out.data = (const uint8_t*)"out of memory";
    out.len = 13;
    self->net->reply(self->host, msg->reply_token, BUTTER_E_NOMEM, out);
    return;
  }
  if (self->greeting_len) memcpy(answer, self->greeting, self->greeting_len);
  if (msg->payload.len) memcpy(answer + self->greeting_len, msg->payload.data, msg->payload.len);
  out.data = answer;
  out.len = n;
  self->net->reply(self->host, msg->reply_token, BUTTER_OK, out);
  free(answer);
  ++self->served;
  if (self->metrics) self->metrics->counter_add(self->host, str_of("@METRIC@"), 1);
}

/* [node] Reads config and registers the handler; must not block. */
static butter_status p_init(const butter_plugin* plugin, butter_error* err) {
  @IDENT@* self = (@IDENT@*)plugin->plugin_data;
  butter_str greeting = str_of(""); /* the schema default comes through the getter; "" on a host < 1.3 */
  butter_status s;
  if (!self->net || !self->config)
    return butter_error_set(err, BUTTER_E_UNSUPPORTED, "@NAME@: the host offers no butter.net/1 or butter.config/1");
  s = self->config->get_string(self->host, "greeting", &greeting);
  if (s != BUTTER_OK && s != BUTTER_E_NOT_FOUND) return butter_error_set(err, s, "@NAME@: greeting must be a string");
  self->greeting = (char*)malloc(greeting.len + 1);
  if (!self->greeting) return butter_error_set(err, BUTTER_E_NOMEM, "@NAME@: out of memory");
  if (greeting.len) memcpy(self->greeting, greeting.data, greeting.len);
  self->greeting[greeting.len] = '\0';
  self->greeting_len = greeting.len;
  if (self->metrics) self->metrics->describe(self->host, str_of("@METRIC@"), str_of("Requests answered on @PROTOCOL@"));
  return self->net->handle(self->host, str_of("@PROTOCOL@"), on_request, self, err);
}

static butter_status p_start(const butter_plugin* plugin, butter_error* err) {
  @IDENT@* self = (@IDENT@*)plugin->plugin_data;
  (void)err;
  if (self->log) self->log->log(self->host, BUTTER_LOG_INFO, str_of("answering on @PROTOCOL@"));
  return BUTTER_OK;
}

/* [node] Must not block; the host removes the handler after it. */
static void p_stop(const butter_plugin* plugin) { (void)plugin; }

static void p_destroy(const butter_plugin* plugin) {
  @IDENT@* self = (@IDENT@*)plugin->plugin_data;
  free(self->greeting);
  free(self);
}

/* The interfaces this instance serves, by id. */
static const void* p_get_extension(const butter_plugin* plugin, const char* id) {
  (void)plugin;
  (void)id;@IFACE_EXT@
  return NULL;
}

static uint32_t f_count(const butter_plugin_factory* factory) {
  (void)factory;
  return 1;
}

static const butter_plugin_descriptor* f_get_descriptor(const butter_plugin_factory* factory, uint32_t index) {
  (void)factory;
  return index == 0 ? &descriptor : NULL;
}

/* [node] One instance per node; `host` stays valid until destroy. */
static const butter_plugin* f_create(const butter_plugin_factory* factory, const butter_host* host, const char* id) {
  @IDENT@* self;
  (void)factory;
  if (strcmp(id, descriptor.id) != 0) return NULL;
  self = (@IDENT@*)calloc(1, sizeof *self);
  if (!self) return NULL;
  self->host = host;
  self->log = (const butter_log_v1*)host->get_extension(host, BUTTER_EXT_LOG);
  self->config = (const butter_config_v1*)host->get_extension(host, BUTTER_EXT_CONFIG);
  self->net = (const butter_net_v1*)host->get_extension(host, BUTTER_EXT_NET);
  self->metrics = (const butter_metrics_v1*)host->get_extension(host, BUTTER_EXT_METRICS);
  self->plugin.desc = &descriptor;
  self->plugin.plugin_data = self;
  self->plugin.init = p_init;
  self->plugin.start = p_start;
  self->plugin.stop = p_stop;
  self->plugin.destroy = p_destroy;
  self->plugin.get_extension = p_get_extension;
  return &self->plugin;
}

static const butter_plugin_factory factory = {f_count, f_get_descriptor, f_create};

static int e_init(const char* path) {
  (void)path;
  return 1;
}

static void e_deinit(void) {}

static const void* e_get_factory(const char* id) {
  return strcmp(id, BUTTER_PLUGIN_FACTORY_ID) == 0 ? &factory : NULL;
}

/* The one symbol the file exports. */
BUTTER_EXPORT const butter_plugin_entry butter_entry = {BUTTER_ABI_VERSION_INIT, e_init, e_deinit, e_get_factory};
)~";

const char* const kCIfaceDecl = R"~(
/* "@IFACE@", the interface this plugin provides to the other plugins of its node. They acquire it
 * per callback through butter.services/1 (butter/ext/services.h). Move this struct to a header of
 * its own for them. Once published it is frozen: growth is a new id ("/2") served beside it. */
typedef struct @IDENT@_v1 {
  /* [node] The number of requests this instance has answered, in *out. */
  butter_status (*served)(const butter_plugin* provider, uint64_t* out);
} @IDENT@_v1;

static butter_status iface_served(const butter_plugin* provider, uint64_t* out);
static const @IDENT@_v1 iface_vtable = {iface_served};
)~";

const char* const kCIfaceImpl = R"~(
/* [node] "@IFACE@" served(): the broker hands our own butter_plugin back as `provider`. */
static butter_status iface_served(const butter_plugin* provider, uint64_t* out) {
  const @IDENT@* self = (const @IDENT@*)provider->plugin_data;
  if (!out) return BUTTER_E_INVALID;
  *out = self->served;
  return BUTTER_OK;
}
)~";

const char* const kManifest = R"~(# A node with @NAME@, loaded from this project's build folder:
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<where Butter is installed> && cmake --build build
#   butter run manifest.toml
# Another node asks it: a request on "@PROTOCOL@" is answered with greeting + payload.
[node]
name = "@NAME@"
listen = ["tcp://127.0.0.1:7700"]
http = "127.0.0.1:8700"

[plugins.@NAME@]
file = "build/@NAME@.so"
[plugins.@NAME@.config]
greeting = "hello, "
)~";

const char* const kReadme = R"~(# @NAME@

A Butter plugin (@LANG_NAME@), `@ID@`, generated by `butter new-plugin`. It answers requests on
`@PROTOCOL@` with `greeting` + the payload and counts them in the metric `@METRIC@`.@IFACE_README@

## Build and test

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=<where Butter is installed>
cmake --build build          # build/@NAME@.so
ctest --test-dir build       # butter inspect, butter check manifest.toml, the unit test
```

`test/@NAME@_test.cpp` tests the plugin without a node, on the SDK's fake host
(`<butter/testing.hpp>`): it delivers a request and reads the reply and the metric. Grow it with
your plugin.

`find_package(butter)` gives `butter_add_plugin()`, which sets the flags every plugin needs
(hidden visibility, a version script that exports only `butter_entry`, `-Wl,--no-undefined`,
`-fno-gnu-unique` for GCC C++). Without CMake: `pkg-config --cflags --libs butter`.

## Run

```sh
butter run manifest.toml     # listens on tcp://127.0.0.1:7700, status at http://127.0.0.1:8700/status
```

To install it beside the standard plugins, copy `build/@NAME@.so` to `<prefix>/lib/butter/plugins/`;
a manifest then loads it by id: `plugin = "@ID@"`.

## Config keys

| key        | type   | default     | meaning                 |
|------------|--------|-------------|-------------------------|
| `greeting` | string | `"hello, "` | prefix of every answer  |
)~";

const char* const kGitignore = "build/\n";

}  // namespace butter::host::templates
