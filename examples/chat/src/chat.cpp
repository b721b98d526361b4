// chat — every node of the network shows the messages any node sends.
//
// A message is gossiped: the node that writes it sends it one-way on /butter-example/chat/1 to every
// peer it knows (connected peers, plus the hosts of butter.peers/1 when a known-hosts plugin runs);
// a node that receives a message it has not seen shows it and forwards it to its own peers, except
// the one it came from, while hops are left. Ids are remembered in a bounded seen-set, so every node
// shows a message once. A node that connects to a peer asks it for its recent messages
// (/butter-example/chat-history/1), so a late joiner sees the conversation so far.
//
// Every message is signed by its author's node key; a node shows and forwards only messages whose
// signature verifies with the key they name as author (chat_message.hpp), so nobody can write in
// another node's name.
//
// Inputs: the web page and its JSON routes (GET /chat, GET/POST /chat/messages), and, with
// `stdin = true`, lines typed on the terminal (butter.fd/1 on descriptor 0), messages from others
// being printed on standard output. See README.md for formats, config keys and metrics.
#include "chat_log.hpp"
#include "chat_message.hpp"
#include "chat_page.hpp"

#include <butter/iface/peers.h>
#include <butter/plugin.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

namespace {

constexpr std::string_view kChatProtocol = "/butter-example/chat/1";
constexpr std::string_view kHistoryProtocol = "/butter-example/chat-history/1";
constexpr std::size_t kMaxPostBody = 4096;
constexpr std::size_t kHistoryShared = 50;  // messages a peer sends a newcomer
constexpr std::size_t kMaxLine = 4096;      // a terminal line longer than this is dropped

using Json = nlohmann::ordered_json;  // keys keep the order they are set in

// The JSON text of an answer. Texts and nicks are checked as UTF-8 when they come in; a bad byte
// that got through all the same is written as U+FFFD, where a plain dump() would throw.
std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

class Chat : public butter::Plugin {
 public:
  using Plugin::Plugin;

  void init() override {
    if (!identity().available())
      throw butter::Error(BUTTER_E_UNSUPPORTED, "the chat needs butter.identity/1 to sign messages");
    nick_ = config().get_string("nick");
    if (nick_.empty()) nick_ = std::string(node().name());
    if (nick_.size() > chat::kMaxNick) nick_.resize(chat::kMaxNick);
    if (!chat::check_nick(nick_).empty()) nick_ = "anonymous";
    read_stdin_ = config().get_bool("stdin");
    // Defaults and ranges: the schema at the bottom. These checks guard the casts on a host that
    // enforces no ranges (older than ABI 1.3) and say what it cannot (seen >= history).
    const std::int64_t history = config().get_int("history");
    const std::int64_t seen = config().get_int("seen");
    if (seen < history) throw butter::Error(BUTTER_E_INVALID, "seen must be history..1000000");
    log_ = std::make_unique<chat::Log>(static_cast<std::size_t>(history), static_cast<std::size_t>(seen));
    rng_.seed(std::random_device{}() ^
              static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));

    metrics().describe("chat_sent_total", "Messages written on this node");
    metrics().describe("chat_received_total", "New messages received from peers");
    metrics().describe("chat_duplicates_total", "Messages received again (already seen)");
    metrics().describe("chat_forwarded_total", "Copies of messages forwarded to peers");
    metrics().describe("chat_malformed_total", "Messages, histories and inputs refused as malformed");
    metrics().describe("chat_forged_total", "Messages refused because their author's signature does not verify");

    on(kChatProtocol, [this](const butter::Request& msg) { receive(msg.from(), msg.text()); });
    on(kHistoryProtocol, [this](const butter::Request&, butter::Reply& reply) {
      reply.ok(chat::encode_history(log_->last(kHistoryShared)));
    });
    on_peer([this](butter::PeerEvent ev, std::string_view peer) {
      if (ev == butter::PeerEvent::Up) ask_history(std::string(peer));
    });

    if (http().available()) {
      http().get("/chat", [](const butter::HttpRequest&, butter::HttpResponse& res) {
        res.header("Cache-Control", "no-cache").html(chat::kPage);
      });
      http().get("/chat/chat.css", [](const butter::HttpRequest&, butter::HttpResponse& res) {
        res.header("Cache-Control", "no-cache").send("text/css; charset=utf-8", chat::kStyle);
      });
      http().get("/chat/chat.js", [](const butter::HttpRequest&, butter::HttpResponse& res) {
        res.header("Cache-Control", "no-cache").send("text/javascript; charset=utf-8", chat::kScript);
      });
      http().get("/chat/messages",
                 [this](const butter::HttpRequest& req, butter::HttpResponse& res) { list(req, res); });
      http().post("/chat/messages",
                  [this](const butter::HttpRequest& req, butter::HttpResponse& res) { post(req, res); });
    }
  }

  void start() override {
    for (const auto& p : peers()) ask_history(p.node_id);
    if (read_stdin_) watch_stdin();
  }

  void stop() override { stdin_watch_.unwatch(); }

 private:
  // --- messages ------------------------------------------------------------------------------
  std::string new_id() {
    std::uint8_t b[16];
    for (int i = 0; i < 16; i += 8) {
      const std::uint64_t r = rng_();
      for (int k = 0; k < 8; ++k) b[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
    return butter::wire::id_to_hex(std::string_view(reinterpret_cast<const char*>(b), 16));
  }

  // Writes a message from this node; returns its entry.
  const chat::Entry* say(std::string text, std::string nick) {
    chat::Message m;
    m.id = new_id();
    m.author = std::string(node().id());
    m.nick = std::move(nick);
    m.sent_unix_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    m.text = std::move(text);
    m.hops_left = chat::kMaxHops;
    const butter::Signature sig = identity().sign(chat::kSignContext, chat::signed_bytes(m));
    std::copy(sig.begin(), sig.end(), m.signature.begin());
    const chat::Entry* e = log_->add(m, true);
    if (!e) return nullptr;
    sent_total_.add();
    forward(m, "");
    return e;
  }

  void receive(std::string_view from, std::string_view bytes) {
    std::string why;
    auto m = chat::decode(bytes, &why);
    if (!m) {
      malformed_total_.add();
      log().debug("malformed chat message from {}: {}", from, why);
      return;
    }
    if (!authentic(*m, from)) return;
    if (m->author == node().id()) {  // our own message came back
      duplicates_total_.add();
      return;
    }
    const chat::Entry* e = log_->add(*m, false);
    if (!e) {
      duplicates_total_.add();
      return;
    }
    received_total_.add();
    print(e->message);
    if (m->hops_left > 0) {
      --m->hops_left;
      forward(*m, from);
    }
  }

  // Whether `m` is signed by the author it names; a forgery is counted and logged, never shown.
  bool authentic(const chat::Message& m, std::string_view from) {
    std::string why;
    const bool ok = chat::is_authentic(
        m,
        [this](const chat::Key& k, std::string_view ctx, std::string_view msg, const chat::Sig& s) {
          return identity().verify(k, ctx, msg, s);
        },
        &why);
    if (!ok) {
      forged_total_.add();
      log().debug("refused a chat message from {} naming {} as author: {}", from, m.author, why);
    }
    return ok;
  }

  // Sends `m` to every peer we know of but `except` and its author.
  void forward(const chat::Message& m, std::string_view except) {
    const auto bytes = chat::encode(m);
    std::set<std::string> targets;
    for (const auto& p : peers()) targets.insert(p.node_id);
    if (auto kh = services().acquire<butter_peers_v1>(BUTTER_IFACE_PEERS)) {
      kh->list(
          kh.provider(),
          [](void* user, const butter_peer_record* r) {
            static_cast<std::set<std::string>*>(user)->insert(std::string(butter::to_sv(r->node_id)));
          },
          &targets);
    }
    const std::string self(node().id());
    for (const auto& t : targets) {
      if (t == except || t == self || t == m.author) continue;
      if (send(t, kChatProtocol, bytes)) forwarded_total_.add();
    }
  }

  void ask_history(const std::string& peer) {
    const butter::Status s =
        request(peer, kHistoryProtocol, "", std::chrono::seconds(3), [this](const butter::Response& r) {
          if (!r.ok()) return;
          std::string why;
          auto ms = chat::decode_history(r.text(), kHistoryShared * 4, &why);
          if (!ms) {
            malformed_total_.add();
            log().debug("malformed chat history from {}: {}", r.from(), why);
            return;
          }
          for (auto& m : *ms) {
            if (m.author == node().id() || !authentic(m, r.from())) continue;
            if (const chat::Entry* e = log_->add(std::move(m), false)) print(e->message);
          }
        });
    if (!s) log().debug("chat history from {}: {}", peer, s.message());
  }

  // --- HTTP ----------------------------------------------------------------------------------
  void list(const butter::HttpRequest& req, butter::HttpResponse& res) {
    std::uint64_t after = 0;
    if (auto a = req.query_param("after")) {
      const auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), after);
      if (ec != std::errc() || p != a->data() + a->size()) {
        malformed_total_.add();
        res.status(400).text("after must be a message number\n");
        return;
      }
    }
    Json messages = Json::array();
    for (const chat::Entry* e : log_->since(after, 500)) {
      const auto& m = e->message;
      messages.push_back(Json{{"seq", e->seq},
                              {"id", m.id},
                              {"author", m.author},
                              {"nick", m.nick},
                              {"time", m.sent_unix_ms},
                              {"mine", e->mine},
                              {"text", m.text}});
    }
    const Json out{
        {"node", node().id()}, {"nick", nick_}, {"last", log_->last_seq()}, {"messages", std::move(messages)}};
    res.header("Cache-Control", "no-store").json(dump_json(out));
  }

  void post(const butter::HttpRequest& req, butter::HttpResponse& res) {
    if (req.body().size() > kMaxPostBody) {
      malformed_total_.add();
      res.status(413).text("body longer than " + std::to_string(kMaxPostBody) + " bytes\n");
      return;
    }
    const auto ct = req.header("content-type").value_or("");
    if (ct.substr(0, 33) != "application/x-www-form-urlencoded") {
      malformed_total_.add();
      res.status(415).text("send application/x-www-form-urlencoded: text=...&nick=...\n");
      return;
    }
    auto form = butter::parse_form(req.body());
    if (!form) {
      malformed_total_.add();
      res.status(400).text("malformed form body\n");
      return;
    }
    std::string text((*form)["text"]);
    std::string nick = form->count("nick") && !(*form)["nick"].empty() ? (*form)["nick"] : nick_;
    if (text.size() > chat::kMaxText) {
      malformed_total_.add();
      res.status(413).text("text longer than " + std::to_string(chat::kMaxText) + " bytes\n");
      return;
    }
    std::string problem = chat::check_text(text);
    if (problem.empty()) problem = chat::check_nick(nick);
    if (!problem.empty()) {
      malformed_total_.add();
      res.status(400).text(problem + "\n");
      return;
    }
    const chat::Entry* e = say(std::move(text), std::move(nick));
    if (!e) {
      res.status(500).text("could not add the message\n");
      return;
    }
    res.status(201).json(dump_json({{"seq", e->seq}, {"id", e->message.id}}));
  }

  // --- terminal --------------------------------------------------------------------------------
  void watch_stdin() {
    // A regular file or /dev/null never blocks and cannot be watched (epoll refuses it): read it
    // now, bounded. Anything else (a terminal, a pipe, a FIFO) is watched on the node's loop.
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) == 0 && (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !::isatty(STDIN_FILENO)))) {
      for (int i = 0; i < 1024 && read_stdin(STDIN_FILENO); ++i) {
      }
      return;
    }
    try {
      stdin_watch_ = fd().watch(STDIN_FILENO, butter::FdRead, [this](int fd, int) { read_stdin(fd); });
      std::printf("chat: type a message and press Enter; messages from the network appear here\n");
      std::fflush(stdout);
    } catch (const butter::Error& e) {
      log().warn("cannot read standard input: {}", e.what());
    }
  }

  // Reads once; returns false at end of input.
  bool read_stdin(int fd) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) {
      stdin_watch_.unwatch();
      if (!line_.empty()) take_line(line_);
      line_.clear();
      log().info("standard input closed");
      return false;
    }
    line_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = line_.find('\n')) != std::string::npos) {
      take_line(line_.substr(0, nl));
      line_.erase(0, nl + 1);
    }
    if (line_.size() > kMaxLine) {
      malformed_total_.add();
      log().warn("dropped a line longer than {} bytes", kMaxLine);
      line_.clear();
    }
    return true;
  }

  void take_line(std::string_view raw) {
    const std::string_view line = chat::trim(raw);
    if (line.empty()) return;
    if (const std::string problem = chat::check_text(line); !problem.empty()) {
      malformed_total_.add();
      std::fprintf(stderr, "chat: not sent: %s\n", problem.c_str());
      return;
    }
    say(std::string(line), nick_);
  }

  void print(const chat::Message& m) {
    if (!read_stdin_) return;
    std::printf("%s: %s\n", m.nick.c_str(), m.text.c_str());
    std::fflush(stdout);
  }

  std::string nick_;
  bool read_stdin_ = false;
  std::string line_;
  std::unique_ptr<chat::Log> log_;
  std::mt19937_64 rng_;
  butter::FdWatch stdin_watch_;
  butter::Counter sent_total_ = metrics().counter("chat_sent_total");
  butter::Counter received_total_ = metrics().counter("chat_received_total");
  butter::Counter duplicates_total_ = metrics().counter("chat_duplicates_total");
  butter::Counter forwarded_total_ = metrics().counter("chat_forwarded_total");
  butter::Counter malformed_total_ = metrics().counter("chat_malformed_total");
  butter::Counter forged_total_ = metrics().counter("chat_forged_total");
};

}  // namespace

BUTTER_PLUGIN(
    Chat,
    butter::Descriptor{
        .id = "butter.example.chat",
        .name = "Chat",
        .vendor = "Butter",
        .version = "1.0.0",
        .description = "Every node shows the messages any node sends; web page on /chat, terminal with stdin = true",
        .config = {
            butter::config_string("nick", "").describe("name shown with this node's messages (empty: the node name)"),
            butter::config_bool("stdin", false).describe("read messages from standard input and print others'"),
            butter::config_int("history", 200).range(1, 100000).describe("messages kept for the page"),
            butter::config_int("seen", 4096)
                .range(1, 1000000)
                .describe("message ids remembered against duplicates (>= history)"),
        }});
