// tp-http-stream: exercises butter.http/2 through the C++ wrapper, so that the host's streaming
// is tested end to end with a real node. Plugin id "test.http-stream". Routes:
//   POST /tp-stream/upload     streamed body (cap 64 MiB), pulled piece by piece; answers
//                              {"bytes":N,"hash":H,"pieces":P,"largest_piece":L} (H: FNV-1a 64, hex)
//   POST /tp-stream/capped     streamed body capped at 1000 bytes (413 beyond)
//   POST /tp-stream/hold       streamed body never pulled (for the progress deadline)
//   GET  /tp-stream/bytes?n=N[&chunked=1][&abort_at=K]
//                              N bytes of pattern(i) = (i * 31 + 7) % 251, written whole-window
//                              by whole-window on `writable`; abort_at cuts the answer after K bytes
//   POST /tp-stream/droppable  streamed body pulled piece by piece (as upload), and
//   GET  /tp-stream/droppable-bytes?n=N  as bytes: both removed by
//   POST /tp-stream/drop       unroutes the two droppable routes (the wrapper frees their
//                              callbacks' state at once); any callback of theirs after it counts
//                              in "after_drop"
//   GET  /tp-stream/stats      {"open":n,"closed":n,"last_reason":"...","window_full":n,"pieces":n,
//                               "after_drop":n}
#include <butter/plugin.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

std::uint8_t pattern(std::uint64_t i) { return static_cast<std::uint8_t>((i * 31 + 7) % 251); }

struct Upload {
  std::uint64_t bytes = 0, hash = 1469598103934665603ull, pieces = 0, largest = 0;
};

struct Download {
  std::uint64_t sent = 0, total = 0, abort_at = UINT64_MAX;
};

class HttpStreamTest : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    butter::StreamHandlers up;
    up.on_request = [this](const butter::HttpRequest&, butter::HttpStream s) {
      uploads_[s.token()] = Upload{};
      s.read_body();
    };
    up.on_body = [this](butter::HttpStream s, butter::Bytes chunk, bool last) { on_piece(s, chunk, last); };
    up.on_closed = [this](butter::HttpStream s, std::string_view why) { closed(s, why); };
    http().stream("POST", "/tp-stream/upload", up, {true, 64ull << 20});
    http().stream("POST", "/tp-stream/capped", up, {true, 1000});

    butter::StreamHandlers hold;
    hold.on_request = [this](const butter::HttpRequest&, butter::HttpStream) { ++open_; };
    hold.on_body = [](butter::HttpStream, butter::Bytes, bool) {};
    hold.on_closed = [this](butter::HttpStream s, std::string_view why) { closed(s, why); };
    http().stream("POST", "/tp-stream/hold", hold, {true, 0});

    butter::StreamHandlers down;
    down.on_request = [this](const butter::HttpRequest& req, butter::HttpStream s) {
      Download d;
      d.total = std::stoull(req.query_param("n").value_or("0"));
      if (auto a = req.query_param("abort_at")) d.abort_at = std::stoull(*a);
      const bool chunked = req.query_param("chunked").has_value();
      auto st = s.begin(200, "application/octet-stream", {{"X-Test", "stream"}},
                        chunked ? BUTTER_HTTP_LENGTH_UNKNOWN : d.total);
      if (!st.ok()) return void(s.abort());
      downloads_[s.token()] = d;
      ++open_;
      pump(s);
    };
    down.on_writable = [this](butter::HttpStream s) { pump(s); };
    down.on_closed = [this](butter::HttpStream s, std::string_view why) { closed(s, why); };
    http().stream("GET", "/tp-stream/bytes", down);

    // The same handlers behind routes that /tp-stream/drop removes while exchanges are open.
    butter::StreamHandlers dup = up;
    dup.on_body = [this](butter::HttpStream s, butter::Bytes chunk, bool last) {
      if (dropped_) ++after_drop_;
      ++pieces_;
      on_piece(s, chunk, last);
    };
    dup.on_closed = [this](butter::HttpStream s, std::string_view why) {
      if (dropped_) ++after_drop_;
      closed(s, why);
    };
    droppable_.push_back(http().stream("POST", "/tp-stream/droppable", dup, {true, 0}));
    butter::StreamHandlers ddown = down;
    ddown.on_writable = [this](butter::HttpStream s) {
      if (dropped_) ++after_drop_;
      pump(s);
    };
    ddown.on_closed = dup.on_closed;
    droppable_.push_back(http().stream("GET", "/tp-stream/droppable-bytes", ddown));
    http().post("/tp-stream/drop", [this](const butter::HttpRequest&, butter::HttpResponse& res) {
      for (auto r : droppable_) http().unroute(r);
      droppable_.clear();
      dropped_ = true;
      res.text("dropped");
    });

    http().get("/tp-stream/stats", [this](const butter::HttpRequest&, butter::HttpResponse& res) {
      res.json("{\"open\":" + std::to_string(open_) + ",\"closed\":" + std::to_string(closed_) + ",\"last_reason\":" +
               butter::json_string(last_reason_) + ",\"window_full\":" + std::to_string(window_full_) +
               ",\"pieces\":" + std::to_string(pieces_) + ",\"after_drop\":" + std::to_string(after_drop_) + "}");
    });
  }

 private:
  void on_piece(butter::HttpStream s, butter::Bytes chunk, bool last) {
    auto it = uploads_.find(s.token());
    if (it == uploads_.end()) return;
    Upload& u = it->second;
    for (std::uint8_t b : chunk.span()) u.hash = (u.hash ^ b) * 1099511628211ull;
    u.bytes += chunk.size();
    u.pieces += 1;
    if (chunk.size() > u.largest) u.largest = chunk.size();
    if (!last) return void(s.read_body());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(u.hash));
    const std::string json = "{\"bytes\":" + std::to_string(u.bytes) + ",\"hash\":\"" + hex +
                             "\",\"pieces\":" + std::to_string(u.pieces) +
                             ",\"largest_piece\":" + std::to_string(u.largest) + "}";
    uploads_.erase(it);
    s.respond(200, "application/json", json);
  }

  // Writes until the window is full (then `writable` brings us back) or the body is complete.
  void pump(butter::HttpStream s) {
    auto it = downloads_.find(s.token());
    if (it == downloads_.end()) return;
    Download& d = it->second;
    std::string piece;
    while (d.sent < d.total) {
      const std::uint64_t n = std::min<std::uint64_t>(d.total - d.sent, 256 * 1024);
      if (d.sent + n > d.abort_at) {
        downloads_.erase(it);
        --open_;
        return s.abort();
      }
      piece.resize(n);
      for (std::uint64_t i = 0; i < n; ++i) piece[i] = static_cast<char>(pattern(d.sent + i));
      auto st = s.write(piece);
      if (st.code() == BUTTER_E_AGAIN) {
        ++window_full_;
        return;
      }
      if (!st.ok()) {
        downloads_.erase(it);
        --open_;
        return s.abort();
      }
      d.sent += n;
    }
    downloads_.erase(it);
    --open_;
    s.end();
  }

  void closed(butter::HttpStream s, std::string_view why) {
    if (uploads_.erase(s.token()) == 0 && downloads_.erase(s.token()) > 0) --open_;
    ++closed_;
    last_reason_ = std::string(why);
  }

  std::map<std::uint64_t, Upload> uploads_;
  std::map<std::uint64_t, Download> downloads_;
  std::uint64_t open_ = 0, closed_ = 0, window_full_ = 0, pieces_ = 0, after_drop_ = 0;
  std::vector<butter::Route> droppable_;
  bool dropped_ = false;
  std::string last_reason_;
};

}  // namespace

BUTTER_PLUGIN(HttpStreamTest, butter::Descriptor{.id = "test.http-stream",
                                                 .name = "HTTP streams",
                                                 .vendor = "Butter tests",
                                                 .version = "1.0.0",
                                                 .description = "drives butter.http/2 streams"});
