// echo — the smallest useful dapp, written with the C++ wrapper (butter/plugin.hpp).
//
// It answers "/butter/echo/1" requests with `greeting` + the payload, counts one-way notes on
// "/butter/echo-note/1", and, when `target` is set, pings that peer every `interval_ms` and counts
// the replies and failures. GET /echo/stats shows the counters; butter.state/1 carries served and
// replies across a hot swap. See README.md for the protocol, config keys and metrics.
#include <butter/cpp/json.hpp>  // butter::Json, dump_json: GET /echo/stats (needs nlohmann/json)
#include <butter/plugin.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kEchoProtocol = "/butter/echo/1";
constexpr std::string_view kNoteProtocol = "/butter/echo-note/1";
constexpr std::string_view kStateSchema = "echo-state/1";

class Echo : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    // Defaults and ranges live in the schema below: the host refuses interval_ms = 0 in the
    // manifest and serves each default when the key is absent.
    greeting_ = config().get_string("greeting");
    target_ = config().get_string("target");
    // The ranged getter guards hosts that enforce no ranges (older than ABI 1.3, test fakes):
    // "interval_ms must be in 1..3600000, got 0" fails init.
    interval_ = std::chrono::milliseconds(config().get_int("interval_ms"));

    metrics().describe("echo_served_total", "Echo requests answered");
    metrics().describe("echo_replies_total", "Answers received to our own pings");
    metrics().describe("echo_failures_total", "Our pings that failed or timed out");
    metrics().describe("echo_notes_total", "One-way notes received");

    on(kEchoProtocol, [this](const butter::Request& req, butter::Reply& reply) {
      // Greeting and request bytes go to the host as two parts: no joined copy here.
      reply.ok_parts({greeting_, req.bytes()});
      ++served_;
      served_total_.add();
    });
    on(kNoteProtocol, [this](const butter::Request& note) {
      ++notes_;
      notes_total_.add();
      log().debug("note from {}: {} bytes", note.from(), note.bytes().size());
    });

    if (http().available()) {
      try {
        http().get("/echo/stats",
                   [this](const butter::HttpRequest&, butter::HttpResponse& res) { res.json(stats_json()); });
      } catch (const butter::Error& e) {
        // A node without an HTTP endpoint: the dapp still echoes.
        log().debug("no /echo/stats: {}", e.what());
      }
    }
  }

  void start() override {
    if (target_.empty()) return;
    log().info("pinging {} every {} ms", target_, interval_.count());
    tick_ = every(interval_, [this] { ping(); });
  }

  void stop() override { tick_.cancel(); }

  std::string save_state() override {
    return std::string(kStateSchema) + " " + std::to_string(served_) + " " + std::to_string(replies_);
  }

  void load_state(std::string_view state) override {
    const std::string_view prefix = kStateSchema;
    if (state.substr(0, prefix.size()) != prefix || state.size() == prefix.size() || state[prefix.size()] != ' ')
      throw butter::Error(BUTTER_E_INVALID, "not an echo-state/1 state");
    std::string_view rest = state.substr(prefix.size() + 1);
    std::uint64_t served = 0, replies = 0;
    if (!parse_number(rest, served) || !eat(rest, ' ') || !parse_number(rest, replies) || !rest.empty())
      throw butter::Error(BUTTER_E_INVALID, "malformed echo-state/1 state");
    served_ = served;
    replies_ = replies;
  }

 private:
  void ping() {
    const butter::Status s = request(target_, kEchoProtocol, "ping", interval_, [this](const butter::Response& r) {
      if (r.ok()) {
        ++replies_;
        replies_total_.add();
      } else {
        fail(r.error());
      }
    });
    if (!s) fail(s.message());
  }

  void fail(std::string_view why) {
    ++failures_;
    failures_total_.add();
    log().debug("ping {} failed: {}", target_, why);
  }

  std::string stats_json() const {
    return butter::dump_json(
        butter::Json{{"served", served_}, {"replies", replies_}, {"failures", failures_}, {"notes", notes_}});
  }

  static bool parse_number(std::string_view& s, std::uint64_t& out) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p == s.data()) return false;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    return true;
  }
  static bool eat(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
  }

  std::string greeting_;
  std::string target_;
  std::chrono::milliseconds interval_{1000};
  std::uint64_t served_ = 0, replies_ = 0, failures_ = 0, notes_ = 0;
  butter::Counter served_total_ = metrics().counter("echo_served_total");
  butter::Counter replies_total_ = metrics().counter("echo_replies_total");
  butter::Counter failures_total_ = metrics().counter("echo_failures_total");
  butter::Counter notes_total_ = metrics().counter("echo_notes_total");
  butter::Timer tick_;
};

}  // namespace

BUTTER_PLUGIN(
    Echo, butter::Descriptor{
              .id = "butter.example.echo",
              .name = "Echo",
              .vendor = "Butter",
              .version = "1.0.0",
              .description = "Answers /butter/echo/1 with greeting + payload; optionally pings a target",
              .config = {
                  butter::config_string("greeting", "").describe("prefix added to every answer"),
                  butter::config_string("target", "").describe("endpoint URI or node id to ping; empty = do not ping"),
                  butter::config_int("interval_ms", 1000).range(1, 3600000).unit("ms").describe("ping period"),
              }});
