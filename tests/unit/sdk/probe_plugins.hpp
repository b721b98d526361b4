// The plugins the SDK wrapper tests drive (Probe, which exercises every part of the wrapper, and
// Failing, which throws), shared by the wrapper test files of this executable. wrapper_test.cpp
// defines the executable's `butter_entry` serving them (BUTTER_PLUGINS); the others reach them
// through it, as a host would.
#pragma once
#include <butter/plugin.hpp>

#include <catch2/catch.hpp>

#include <butter/testing.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fake = butter::testing;

extern "C" const butter_plugin_entry butter_entry;

namespace butter::test::sdk {

inline std::vector<std::string> g_events;  // lifecycle calls seen by Probe instances

// An interface a Probe provides to other plugins.
struct probe_iface_v1 {
  std::uint64_t (*served)(const butter_plugin* provider);
  butter_status (*boom)(const butter_plugin* provider);
};

class Probe : public butter::Plugin {
 public:
  explicit Probe(butter::Context ctx) : Plugin(ctx) { g_events.push_back("create"); }
  ~Probe() override { g_events.push_back("destroy"); }

  void init() override {
    g_events.push_back("init");
    name_ = config().get_string("name", "anonymous");
    count_ = config().get_int("count", 7);
    ratio_ = config().get_float("ratio", 0.5);
    loud_ = config().get_bool("loud", true);
    tags_ = config().get_strings("tags", {"default"});
    if (config().get_string("fail", "") == "init") throw std::runtime_error("probe refuses to init");
    if (config().get_string("fail", "") == "init-invalid") throw butter::Error(BUTTER_E_INVALID, "bad config");

    on("/t/ok", [this](const butter::Request& req, butter::Reply& reply) {
      ++served_;
      reply.ok(name_ + ":" + std::string(req.text()));
    });
    on("/t/throw", [](const butter::Request&, butter::Reply&) { throw std::runtime_error("boom in handler"); });
    on("/t/not-found",
       [](const butter::Request&, butter::Reply&) { throw butter::Error(BUTTER_E_NOT_FOUND, "no such thing"); });
    on("/t/drop", [](const butter::Request&, butter::Reply&) {});
    on("/t/later", [this](const butter::Request& req, butter::Reply& reply) {
      later_text_ = std::string(req.text());
      later_ = std::move(reply);
    });
    on("/t/twice", [](const butter::Request&, butter::Reply& reply) {
      reply.ok("first");
      const butter::Status again = reply.ok("second");
      if (again) throw std::logic_error("answered twice");
    });
    on("/t/note", [this](const butter::Request& note) { notes_.emplace_back(note.text()); });
    on("/t/unhandle-self", [this](const butter::Request&, butter::Reply& reply) {
      reply.ok("bye");
      unhandle("/t/unhandle-self");
    });

    http().get("/probe", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      const auto who = req.query_param("who");
      const auto agent = req.header("user-agent");
      res.header("X-Probe", "1")
          .json("{\"who\":\"" + who.value_or("?") + "\",\"agent\":\"" + std::string(agent.value_or("?")) +
                "\",\"served\":" + std::to_string(served_) + "}");
    });
    http().get("/probe/throw",
               [](const butter::HttpRequest&, butter::HttpResponse&) { throw std::runtime_error("http boom"); });
    http().get("/probe/silent", [](const butter::HttpRequest&, butter::HttpResponse&) {});
    http().post("/probe/later", [this](const butter::HttpRequest& req, butter::HttpResponse& res) {
      later_http_body_ = std::string(req.body());
      later_http_ = std::move(res);
    });

    static const probe_iface_v1 iface = {
        [](const butter_plugin* p) -> std::uint64_t { return Plugin::from<Probe>(p)->served_; },
        [](const butter_plugin* p) {
          return butter::guard<Probe>(p, [](Probe&) { throw butter::Error(BUTTER_E_AGAIN, "busy"); });
        },
    };
    provide("test.probe/1", &iface);
  }

  void start() override {
    g_events.push_back("start");
    if (config().get_string("fail", "") == "start") throw 42;  // not even a std::exception
    log().info("started {} on {} with {} tags", name_, node().id().substr(0, 8), tags_.size());
  }

  void stop() override {
    g_events.push_back("stop");
    if (config().get_string("fail", "") == "stop") throw std::runtime_error("stop throws");
  }

  // For the tests.
  void answer_later() { later_.ok("later:" + later_text_); }
  void answer_http_later() { later_http_.status(201).text("got " + later_http_body_); }

  std::string name_;
  std::int64_t count_ = 0;
  double ratio_ = 0;
  bool loud_ = false;
  std::vector<std::string> tags_;
  std::uint64_t served_ = 0;
  std::vector<std::string> notes_;
  butter::Reply later_;
  std::string later_text_;
  butter::HttpResponse later_http_;
  std::string later_http_body_;
  butter::Timer tick_, once_, self_cancel_;
  int ticks_ = 0, onces_ = 0, self_ticks_ = 0;
};

class Failing : public butter::Plugin {
 public:
  explicit Failing(butter::Context ctx) : Plugin(ctx) {
    if (ctx.host && std::string_view(ctx.host->name) == "refuse-create")
      throw std::runtime_error("constructor refuses");
  }
  void init() override { throw std::runtime_error("failing always fails"); }
};

inline butter::Descriptor probe_descriptor() {
  return butter::Descriptor{.id = "test.probe",
                            .name = "Probe",
                            .vendor = "Butter tests",
                            .version = "0.1.0",
                            .description = "exercises the wrapper",
                            .provides = {"test.probe/1"},
                            .required = {"butter.peers/1", "test.other/1"},
                            .optional = {},
                            .config = {
                                {"name", butter::ConfigType::String, false, "a name"},
                                {"count", butter::ConfigType::Int, true, ""},
                                {"ratio", butter::ConfigType::Float},
                                {"loud", butter::ConfigType::Bool, false, "shout"},
                                {"tags", butter::ConfigType::StringArray, false, "labels"},
                            }};
}

inline const butter_plugin_factory* factory() {
  auto* f = static_cast<const butter_plugin_factory*>(butter_entry.get_factory(BUTTER_PLUGIN_FACTORY_ID));
  REQUIRE(f != nullptr);
  return f;
}

inline Probe& probe(const fake::Instance& i) { return *butter::Plugin::from<Probe>(i.p); }

}  // namespace butter::test::sdk
