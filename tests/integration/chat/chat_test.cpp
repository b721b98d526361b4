// The chat dapp on real nodes over loopback: a message posted on one node's page is shown once by
// every node (gossip through a middle node), a late joiner gets the history, each HTTP route
// answers and refuses oversized and malformed input, and the terminal client (`butter run` with
// stdin = true) sends typed lines and prints the others' messages. Messages forged in a node's name
// (signed with another key, or unsigned) are never shown nor forwarded.
#include "chat_message.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_node.hpp"
#include "support/test_signer.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

std::string chat_node(const std::string& name, const std::string& bootstrap = "") {
  std::string extra = bootstrap.empty() ? "" : "bootstrap = [\"" + bootstrap + "\"]\n";
  return loopback_manifest(name, plugin_table("chat", "butter.example.chat", "nick = \"" + name + "\""), extra);
}

struct Url {
  std::string host;
  std::uint16_t port = 0;
};
Url split(const std::string& base) {
  Url u;
  std::string target;
  split_http_url(base + "/", u.host, u.port, target);
  return u;
}

// A raw HTTP/1.1 exchange: status code and body.
std::pair<int, std::string> raw(const std::string& base, const std::string& method, const std::string& target,
                                const std::string& content_type, const std::string& body) {
  const Url u = split(base);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + u.host + "\r\nConnection: close\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string out = raw_exchange(u.host, u.port, req, std::chrono::seconds(10));
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(^HTTP/1\.1 (\d{3}))"))) return {0, out};
  const auto sep = out.find("\r\n\r\n");
  return {std::stoi(m[1]), sep == std::string::npos ? std::string() : out.substr(sep + 4)};
}

std::pair<int, std::string> post_form(const std::string& base, const std::string& form) {
  return raw(base, "POST", "/chat/messages", "application/x-www-form-urlencoded", form);
}

nlohmann::json messages(const std::string& base, std::uint64_t after = 0) {
  auto r = http_get(base + "/chat/messages?after=" + std::to_string(after));
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body);
}

// The first message with `text` (null when none).
nlohmann::json find_text(const nlohmann::json& j, const std::string& text) {
  for (const auto& m : j["messages"])
    if (m["text"] == text) return m;
  return nullptr;
}

int count_text(const nlohmann::json& j, const std::string& text) {
  int n = 0;
  for (const auto& m : j["messages"])
    if (m["text"] == text) ++n;
  return n;
}

}  // namespace

TEST_CASE("a message posted on one node is shown once on every node of a line of three") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  TestNode b(rt, registry, chat_node("b", a.endpoint()));
  TestNode c(rt, registry, chat_node("c", b.endpoint()));
  REQUIRE(wait_until([&] { return a->status()["peers"].size() == 1 && c->status()["peers"].size() == 1; }));

  auto r = post_form(a->http_url(), "text=hello+from+a&nick=alice");
  REQUIRE(r.first == 201);
  CHECK(nlohmann::json::parse(r.second)["seq"] == 1);
  CHECK(wait_until([&] { return count_text(messages(c->http_url()), "hello from a") == 1; }));
  CHECK(count_text(messages(b->http_url()), "hello from a") == 1);
  auto on_c = messages(c->http_url());
  CHECK(on_c["messages"][0]["nick"] == "alice");
  CHECK(on_c["messages"][0]["author"] == a->id_hex());
  CHECK(on_c["messages"][0]["mine"] == false);
  CHECK(messages(a->http_url())["messages"][0]["mine"] == true);

  // And back from the far end, through the middle.
  REQUIRE(post_form(c->http_url(), "text=%C3%A9cho+from+c").first == 201);
  CHECK(wait_until([&] { return count_text(messages(a->http_url()), "écho from c") == 1; }));
  CHECK(messages(a->http_url())["messages"][1]["nick"] == "c");  // the node's nick when none is given

  // Polling with after= returns only the newer messages.
  const auto all = messages(a->http_url());
  CHECK(all["messages"].size() == 2);
  CHECK(messages(a->http_url(), all["messages"][0]["seq"].get<std::uint64_t>())["messages"].size() == 1);

  // Duplicates were counted, never shown twice.
  CHECK(wait_until(
      [&] { return a.counter("chat", "chat_received_total") == 1 && c.counter("chat", "chat_received_total") == 1; }));
  CHECK(b.counter("chat", "chat_received_total") == 2);

  SECTION("a node that joins later gets the conversation so far") {
    TestNode d(rt, registry, chat_node("d", c.endpoint()));
    CHECK(wait_until([&] {
      auto j = messages(d->http_url());
      return count_text(j, "hello from a") == 1 && count_text(j, "écho from c") == 1;
    }));
  }
}

TEST_CASE("each HTTP route answers and refuses oversized and malformed input") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  const std::string base = a->http_url();

  auto page = http_get(base + "/chat");
  CHECK(page.status == 200);
  CHECK_THAT(page.content_type, Catch::Contains("text/html"));
  CHECK_THAT(page.body, Catch::Contains("<script src=\"/chat/chat.js\">"));
  auto script = http_get(base + "/chat/chat.js");
  CHECK(script.status == 200);
  CHECK_THAT(script.content_type, Catch::Contains("text/javascript"));
  CHECK_THAT(script.body, Catch::Contains("/chat/messages"));
  CHECK(http_get(base + "/chat/chat.css").status == 200);

  auto empty = messages(base);
  CHECK(empty["messages"].empty());
  CHECK(empty["node"] == a->id_hex());
  CHECK(http_get(base + "/chat/messages?after=abc").status == 400);
  CHECK(http_get(base + "/chat/messages?after=-1").status == 400);

  CHECK(post_form(base, "text=" + std::string(1000, 'x')).first == 201);
  CHECK(post_form(base, "text=" + std::string(1001, 'x')).first == 413);
  CHECK(post_form(base, "text=x&pad=" + std::string(5000, 'p')).first == 413);
  CHECK(post_form(base, "text=" + std::string(2 * 1024 * 1024, 'x')).first == 413);  // the host's own limit
  CHECK(post_form(base, "text=%zz").first == 400);
  CHECK(post_form(base, "text=%ff%fe").first == 400);  // not UTF-8
  CHECK(post_form(base, "text=a%0Ab").first == 400);   // control character
  CHECK(post_form(base, "text=").first == 400);
  CHECK(post_form(base, "nick=x").first == 400);  // no text
  CHECK(post_form(base, "text=a&text=b").first == 400);
  CHECK(post_form(base, "text=a&nick=" + std::string(33, 'n')).first == 400);
  CHECK(raw(base, "POST", "/chat/messages", "application/json", "{\"text\":\"a\"}").first == 415);
  CHECK(raw(base, "POST", "/chat/messages", "", "text=a").first == 415);
  CHECK(raw(base, "PUT", "/chat/messages", "application/x-www-form-urlencoded", "text=a").first >= 400);

  // Only the one good post was kept; the node still serves.
  CHECK(messages(base)["messages"].size() == 1);
  CHECK(a.counter("chat", "chat_malformed_total") >= 12);
  CHECK(a.plugin_state("chat") == "started");
}

TEST_CASE("malformed messages from a peer are counted and dropped") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  TestNode b(rt, registry, loopback_manifest("b"));
  // One-way messages cannot be answered: send them as requests, whose answer we ignore.
  for (const std::string& bad : {std::string(), std::string("\x01"), std::string(300, '\xff')}) {
    (void)request_from(b, a.endpoint(), "/butter-example/chat/1", bad);
  }
  CHECK(wait_until([&] { return a.counter("chat", "chat_malformed_total") == 3; }));
  CHECK(messages(a->http_url())["messages"].empty());
}

TEST_CASE("a message forged in a node's name is neither shown nor forwarded, a genuinely signed one is") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  TestNode c(rt, registry, chat_node("c", a.endpoint()));
  TestNode b(rt, registry, loopback_manifest("b"));  // the attacker's node: it sends what it likes
  REQUIRE(wait_until([&] { return a->status()["peers"].size() >= 1 && c->status()["peers"].size() == 1; }));

  TestSigner mallory;
  auto message = [&](const std::string& author, const std::string& text, const std::string& id) {
    chat::Message m;
    m.id = id;
    m.author = author;
    m.nick = "mallory";
    m.sent_unix_ms = 1700000000000;
    m.text = text;
    m.signature = mallory.sign(chat::kSignContext, chat::signed_bytes(m));
    const auto bytes = chat::encode(m);
    return std::string(bytes.begin(), bytes.end());
  };
  const std::string in_a_name = message(a->id_hex(), "forged as a", std::string(32, '1'));
  const std::string in_c_name = message(c->id_hex(), "forged as c", std::string(32, '2'));
  std::string unsigned_legacy = message(a->id_hex(), "unsigned as a", std::string(32, '3'));
  unsigned_legacy.resize(unsigned_legacy.size() - 64);
  unsigned_legacy[0] = 1;
  const std::string genuine = message(mallory.hex(), "signed by mallory", std::string(32, '4'));

  // One-way messages cannot be answered: send them as requests, whose answer we ignore.
  for (const std::string& m : {in_a_name, in_c_name, unsigned_legacy})
    (void)request_from(b, a.endpoint(), "/butter-example/chat/1", m);
  CHECK(wait_until(
      [&] { return a.counter("chat", "chat_forged_total") == 2 && a.counter("chat", "chat_malformed_total") == 1; }));
  // The genuine one goes through a and on to c, after the forgeries: had they been forwarded, they
  // would be on c by then.
  (void)request_from(b, a.endpoint(), "/butter-example/chat/1", genuine);
  REQUIRE(wait_until([&] { return count_text(messages(c->http_url()), "signed by mallory") == 1; }));
  for (const std::string& base : {a->http_url(), c->http_url()}) {
    const auto j = messages(base);
    CHECK(j["messages"].size() == 1);
    CHECK(find_text(j, "signed by mallory")["author"] == mallory.hex());
    CHECK(find_text(j, "signed by mallory")["mine"] == false);
  }
  CHECK(c.counter("chat", "chat_forged_total") == 0);

  // The real nodes' own messages still flow both ways.
  REQUIRE(post_form(a->http_url(), "text=real+from+a").first == 201);
  CHECK(wait_until([&] { return count_text(messages(c->http_url()), "real from a") == 1; }));
  CHECK(find_text(messages(c->http_url()), "real from a")["author"] == a->id_hex());
}

TEST_CASE("the terminal client sends typed lines and prints the others' messages") {
  const fs::path dir = fs::temp_directory_path() / ("butter-chat-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  const std::string fifo = (dir / "stdin").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Our end, opened read-write so that neither side blocks on open; closing it is the EOF.
  const int w = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  REQUIRE(w >= 0);

  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  const std::string manifest = std::string(BUTTER_SOURCE_DIR) + "/manifests/chat.toml";
  Process term(
      {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + fifo, BUTTER_BUILD_DIR "/bin/butter", "run", manifest, "--listen",
       "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--name", "term", "--bootstrap", a.endpoint()},
      (dir / "term.log").string());
  REQUIRE(wait_until([&] { return term.log().find("messages from the network appear here") != std::string::npos; }));
  REQUIRE(wait_until([&] { return a->status()["peers"].size() >= 1; }));

  const std::string line = "typed on the terminal\n";
  REQUIRE(::write(w, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  CHECK(wait_until([&] { return count_text(messages(a->http_url()), "typed on the terminal") == 1; }));
  CHECK(find_text(messages(a->http_url()), "typed on the terminal")["nick"] == "term");

  REQUIRE(post_form(a->http_url(), "text=hello+terminal&nick=web").first == 201);
  CHECK(wait_until([&] { return term.log().find("web: hello terminal") != std::string::npos; }));
  INFO(term.log());
  ::close(w);
  CHECK(term.stop() == 0);
}

TEST_CASE("the terminal client sends the lines of a file given as standard input") {
  const fs::path dir = fs::temp_directory_path() / ("butter-chat-file-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  const std::string input = (dir / "lines.txt").string();
  std::ofstream(input) << "first line from a file\n\n  second line  \r\n"
                       << std::string(1001, 'x') << "\nlast without newline";

  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, chat_node("a"));
  const std::string manifest = std::string(BUTTER_SOURCE_DIR) + "/manifests/chat.toml";
  // A regular file is read at start, maybe before the node is connected to A: then A gets the
  // lines through the history it asks for when the connection comes up.
  Process term(
      {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + input, BUTTER_BUILD_DIR "/bin/butter", "run", manifest, "--listen",
       "tcp://127.0.0.1:0", "--http", "127.0.0.1:0", "--name", "file", "--bootstrap", a.endpoint()},
      (dir / "term.log").string());
  CHECK(wait_until([&] {
    auto j = messages(a->http_url());
    return count_text(j, "first line from a file") == 1 && count_text(j, "second line") == 1 &&
           count_text(j, "last without newline") == 1;
  }));
  // The empty and the too-long line were not sent. (Other chat nodes on this machine, found by the
  // manifest's multicast discovery, may add their own messages: look for ours only.)
  CHECK(count_text(messages(a->http_url()), std::string(1001, 'x')) == 0);
  CHECK(find_text(messages(a->http_url()), "first line from a file")["nick"] == "file");
  INFO(term.log());
  CHECK_THAT(term.log(), Catch::Contains("not sent: text is longer than 1000 bytes"));
  CHECK(term.stop() == 0);
}
