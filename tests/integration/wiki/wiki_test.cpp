// The wiki dapp on real nodes over loopback, with the real storage (pcg-storage) and search
// (ir-dbfs) plugins: a page created on A is found and read on B, an edit links its predecessor,
// B still reads the page once A is gone, a forged or tampered head is refused and counted, a
// version forged in A's name (another key's signature, or none) is never shown as A's, and each
// HTTP route answers and refuses oversized and malformed input.
#include "records.hpp"
#include "support/http_client.hpp"
#include "support/test_node.hpp"
#include "support/test_signer.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

using namespace butter;
using namespace butter::test;

namespace {

std::string wiki_node(const std::string& name, const std::string& bootstrap = "") {
  std::string extra = bootstrap.empty() ? "" : "bootstrap = [\"" + bootstrap + "\"]\n";
  return loopback_manifest(
      name,
      plugin_table("peers", "butter.knownhosts.quality") +
          plugin_table("storage", "butter.storage.pcg", "replicas = 2\nheartbeat_ms = 200") +
          plugin_table("search", "butter.ir.dbfs") +
          plugin_table("wiki", "butter.example.wiki", "search_timeout_ms = 500\nwrite_wait_ms = 3000"),
      extra);
}

struct Answer2 {
  int status = 0;
  std::string body;
};

Answer2 raw(const std::string& base, const std::string& method, const std::string& target,
            const std::string& content_type, const std::string& body) {
  std::string host, path;
  std::uint16_t port = 0;
  split_http_url(base + "/", host, port, path);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string out = raw_exchange(host, port, req, std::chrono::seconds(15));
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(^HTTP/1\.1 (\d{3}))"))) return {0, out};
  const auto sep = out.find("\r\n\r\n");
  return {std::stoi(m[1]), sep == std::string::npos ? std::string() : out.substr(sep + 4)};
}

std::string form_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Answer2 post_page(const std::string& base, const std::string& title, const std::string& text,
                  const std::string& keywords, const std::string& extra = "") {
  return raw(
      base, "POST", "/wiki/api/pages", "application/x-www-form-urlencoded",
      "title=" + form_escape(title) + "&text=" + form_escape(text) + "&keywords=" + form_escape(keywords) + extra);
}

nlohmann::json get_json(const std::string& url, int expect = 200) {
  auto r = http_get(url, std::chrono::seconds(15));
  INFO(url << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == expect);
  return nlohmann::json::parse(r.body);
}

int status_of(const std::string& url) {
  try {
    return http_get(url, std::chrono::seconds(15)).status;
  } catch (const std::exception&) {
    return 0;
  }
}

// Whether `base`'s storage holds `object_id`.
bool holds(const std::string& base, const std::string& object_id) {
  auto j = nlohmann::json::parse(http_get(base + "/storage").body);
  for (const auto& o : j["objects"])
    if (o["id"] == object_id) return true;
  return false;
}

// An attacker's Ed25519 key: it signs what it likes, in the same framing as butter.identity/1.
using Mallory = TestSigner;

wiki::Key key_of(const std::string& hex) {
  wiki::Key k{};
  REQUIRE(hex.size() == 64);
  for (std::size_t i = 0; i < 32; ++i) k[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return k;
}

// Stores `bytes` under the keywords a real version would carry, straight through storage HTTP.
std::string store_as_attacker(const std::string& base, const std::string& bytes,
                              const std::vector<std::string>& keywords) {
  std::string kw;
  for (const auto& k : keywords) kw += (kw.empty() ? "" : ",") + k;
  auto r = raw(base, "POST", "/storage?keywords=" + kw + "&wait=0", "application/octet-stream", bytes);
  INFO(r.body);
  REQUIRE(r.status == 202);
  return nlohmann::json::parse(r.body)["id"];
}

}  // namespace

TEST_CASE("a page created on A is found and read on B and stays readable on B once A is gone") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  auto a = std::make_unique<TestNode>(rt, registry, wiki_node("a"));
  TestNode b(rt, registry, wiki_node("b", a->endpoint()));
  const std::string A = (*a)->http_url(), B = b->http_url();
  REQUIRE(wait_until([&] { return (*a)->status()["peers"].size() == 1; }));

  auto created = post_page(A, "Butter Guide", "How to spread butter.\nLine two.", "guide, Kitchen");
  INFO(created.body);
  REQUIRE(created.status == 201);
  const auto c = nlohmann::json::parse(created.body);
  const std::string page = c["page"], version = c["version"], head = c["head"];
  CHECK(page.size() == 32);
  CHECK(version.size() == 64);

  // A reads its own page at once.
  auto on_a = get_json(A + "/wiki/api/page/" + page);
  CHECK(on_a["title"] == "Butter Guide");
  CHECK(on_a["mine"] == true);
  CHECK(on_a["keywords"] == nlohmann::json::array({"guide", "kitchen"}));

  // B finds it by a title word and by a keyword, and reads it.
  CHECK(wait_until([&] { return get_json(B + "/wiki/api/search?q=butter")["results"].size() == 1; },
                   std::chrono::seconds(20)));
  auto found = get_json(B + "/wiki/api/search?q=KITCHEN+guide");
  REQUIRE(found["results"].size() == 1);
  CHECK(found["results"][0]["page"] == page);
  CHECK(found["results"][0]["title"] == "Butter Guide");
  CHECK(get_json(B + "/wiki/api/search?q=margarine")["results"].empty());
  auto on_b = get_json(B + "/wiki/api/page/" + page + "?fresh=1");
  CHECK(on_b["text"] == "How to spread butter.\nLine two.");
  CHECK(on_b["author"] == (*a)->id_hex());
  CHECK(on_b["mine"] == false);
  CHECK(on_b["latest"] == true);

  // An edit on A stores a new version that links its predecessor; B sees it.
  auto edited = post_page(A, "Butter Guide", "Spread it thin.", "guide", "&base=" + version);
  REQUIRE(edited.status == 201);
  const std::string v2 = nlohmann::json::parse(edited.body)["version"];
  CHECK(v2 != version);
  CHECK(wait_until([&] { return get_json(B + "/wiki/api/page/" + page + "?fresh=1")["version"] == v2; },
                   std::chrono::seconds(20)));
  auto latest = get_json(B + "/wiki/api/page/" + page);
  CHECK(latest["text"] == "Spread it thin.");
  CHECK(latest["predecessor"] == version);
  auto old = get_json(B + "/wiki/api/version/" + version);
  CHECK(old["text"] == "How to spread butter.\nLine two.");
  CHECK(old["latest"] == false);
  CHECK(a->counter("wiki", "wiki_pages_created_total") == 1);
  CHECK(a->counter("wiki", "wiki_edits_total") == 1);

  // B holds replicas of what it needs; then A goes away.
  const std::string head2 = nlohmann::json::parse(edited.body)["head"];
  REQUIRE(wait_until([&] { return holds(B, v2) && holds(B, head2); }, std::chrono::seconds(20)));
  a.reset();
  auto after = get_json(B + "/wiki/api/page/" + page + "?fresh=1");
  CHECK(after["text"] == "Spread it thin.");
  CHECK(after["version"] == v2);
  CHECK(get_json(B + "/wiki/api/search?q=guide")["results"].size() == 1);
  CHECK(b.counter("wiki", "wiki_forged_heads_total") == 0);
}

// Two wiki nodes, B bootstrapped to A and connected, and a page "Home" created on A (`home` is
// the creation's JSON answer: page, version, head).
struct TwoWikisWithHome {
  host::Runtime rt{2};
  host::PluginRegistry registry;
  TestNode a{rt, registry, wiki_node("a")};
  TestNode b{rt, registry, wiki_node("b", a.endpoint())};
  const std::string A = a->http_url(), B = b->http_url();
  nlohmann::json home;
  TwoWikisWithHome() {
    REQUIRE(wait_until([&] { return a->status()["peers"].size() == 1; }));
    auto created = post_page(A, "Home", "The real text.", "home");
    REQUIRE(created.status == 201);
    home = nlohmann::json::parse(created.body);
  }
};

TEST_CASE("a forged or tampered head is refused and counted and the page stays right") {
  TwoWikisWithHome w;
  auto& b = w.b;
  const std::string &A = w.A, &B = w.B;
  const auto& c = w.home;
  const std::string page = c["page"], version = c["version"], head = c["head"];
  REQUIRE(wait_until([&] { return holds(B, head); }, std::chrono::seconds(20)));
  auto real = http_get(B + "/storage/" + head, std::chrono::seconds(15));
  REQUIRE(real.status == 200);

  // A decoy version the forger would like readers to see.
  auto decoy = raw(B, "POST", "/storage?keywords=butter-wiki", "application/octet-stream", "not the page");
  REQUIRE(decoy.status == 201);
  const std::string decoy_id = nlohmann::json::parse(decoy.body)["id"];
  const std::string kw = "?keywords=butter-wiki-head,wikihead:" + page;

  // 1. The real head with a higher sequence number (byte 63 is the low byte of seq).
  std::string higher = real.body;
  higher[8 + 16 + 32 + 7] = static_cast<char>(higher[8 + 16 + 32 + 7] + 1);
  // 2. The real head naming the decoy instead (bytes 24..55 are the version id).
  std::string redirected = real.body;
  for (int i = 0; i < 32; ++i) {
    const std::string hx = decoy_id.substr(static_cast<std::size_t>(2 * i), 2);
    redirected[static_cast<std::size_t>(24 + i)] = static_cast<char>(std::stoi(hx, nullptr, 16));
  }
  // 3. A broken signature.
  std::string bad_sig = real.body;
  bad_sig.back() = static_cast<char>(bad_sig.back() ^ 0x55);
  // 4. Not a head at all.
  const std::string junk = "BWIKIH01 junk";
  for (const std::string& forged : {higher, redirected, bad_sig, junk}) {
    auto r = raw(B, "POST", "/storage" + kw + "&wait=0", "application/octet-stream", forged);
    INFO(r.body);
    REQUIRE(r.status == 202);
  }

  auto read = get_json(B + "/wiki/api/page/" + page + "?fresh=1");
  CHECK(read["version"] == version);
  CHECK(read["text"] == "The real text.");
  CHECK(wait_until([&] { return b.counter("wiki", "wiki_forged_heads_total") == 3; }, std::chrono::seconds(20)));
  CHECK(b.counter("wiki", "wiki_malformed_total") >= 1);
  // A, which receives the forged heads as a storage group member or through its own reads, refuses them too.
  auto on_a = get_json(A + "/wiki/api/page/" + page + "?fresh=1");
  CHECK(on_a["version"] == version);
}

TEST_CASE("each HTTP route answers and refuses oversized and malformed input") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, wiki_node("a"));
  const std::string A = a->http_url();

  auto page = http_get(A + "/wiki");
  CHECK(page.status == 200);
  CHECK_THAT(page.content_type, Catch::Contains("text/html"));
  CHECK_THAT(page.body, Catch::Contains("<script src=\"/wiki/wiki.js\">"));
  auto script = http_get(A + "/wiki/wiki.js");
  CHECK(script.status == 200);
  CHECK_THAT(script.content_type, Catch::Contains("text/javascript"));
  CHECK_THAT(script.body, Catch::Contains("/wiki/api/search"));
  CHECK(http_get(A + "/wiki/wiki.css").status == 200);
  auto list = get_json(A + "/wiki/api/pages");
  CHECK(list["pages"].empty());
  CHECK(list["node"] == a->id_hex());

  // POST /wiki/api/pages
  CHECK(post_page(A, "T", std::string(256 * 1024, 'x'), "").status == 201);
  CHECK(post_page(A, "T2", std::string(256 * 1024 + 1, 'x'), "").status == 413);
  CHECK(post_page(A, "T3", std::string(900 * 1024, 'x'), "").status == 413);       // body over the wiki's limit
  CHECK(post_page(A, "T4", std::string(2 * 1024 * 1024, 'x'), "").status == 413);  // over the host's limit
  CHECK(post_page(A, std::string(201, 't'), "x", "").status == 400);
  CHECK(post_page(A, "", "x", "").status == 400);
  CHECK(post_page(A, "   ", "x", "").status == 400);
  CHECK(post_page(A, "bad\xff", "x", "").status == 400);
  CHECK(post_page(A, "T5", "bad\xc3", "").status == 400);
  CHECK(post_page(A, "T6", "nul\x01", "").status == 400);
  CHECK(post_page(A, "T7", "x", std::string(41, 'k')).status == 400);
  CHECK(post_page(A, "T8", "x", "a b c d e f g h i j k l m n o p q").status == 400);
  CHECK(post_page(A, "T9", "x", "", "&base=xyz").status == 400);
  CHECK(post_page(A, "T10", "x", "", "&color=red").status == 400);
  CHECK(raw(A, "POST", "/wiki/api/pages", "application/x-www-form-urlencoded", "title=%zz&text=x").status == 400);
  CHECK(raw(A, "POST", "/wiki/api/pages", "application/x-www-form-urlencoded", "title=a&title=b&text=x").status == 400);
  CHECK(raw(A, "POST", "/wiki/api/pages", "application/json", "{\"title\":\"x\"}").status == 415);
  CHECK(raw(A, "POST", "/wiki/api/pages", "", "title=x&text=y").status == 415);

  // GET /wiki/api/page/<id>, /wiki/api/version/<id>
  CHECK(status_of(A + "/wiki/api/page/xyz") == 400);
  CHECK(status_of(A + "/wiki/api/page/" + std::string(32, 'G')) == 400);
  CHECK(status_of(A + "/wiki/api/page/" + std::string(33, 'a')) == 400);
  CHECK(status_of(A + "/wiki/api/page/" + std::string(32, 'a')) == 404);
  CHECK(status_of(A + "/wiki/api/version/" + std::string(63, 'a')) == 400);
  CHECK(status_of(A + "/wiki/api/version/" + std::string(64, 'a')) == 404);

  // GET /wiki/api/search
  CHECK(status_of(A + "/wiki/api/search") == 400);
  CHECK(status_of(A + "/wiki/api/search?q=") == 400);
  CHECK(status_of(A + "/wiki/api/search?q=a") == 400);  // no word of two letters
  CHECK(status_of(A + "/wiki/api/search?q=%ff%fe") == 400);
  CHECK(status_of(A + "/wiki/api/search?q=" + std::string(600, 'w')) == 413);
  CHECK(get_json(A + "/wiki/api/search?q=nothing+here")["results"].empty());

  CHECK(a.counter("wiki", "wiki_requests_refused_total") >= 25);
  CHECK(a.plugin_state("wiki") == "started");
  CHECK(get_json(A + "/wiki/api/pages")["pages"].size() == 1);
}

TEST_CASE("a version forged in A's name is never shown as A's and honest edits still work") {
  TwoWikisWithHome w;
  auto& a = w.a;
  auto& b = w.b;
  const std::string &A = w.A, &B = w.B;
  const auto& c = w.home;
  const std::string home = c["page"], home_v1 = c["version"];

  const wiki::Key a_key = key_of(a->id_hex());
  Mallory mallory;
  auto forge = [&](const std::string& title, const std::string& text, std::vector<std::string> keywords) {
    wiki::Version v;
    v.title = title;
    v.page_id = wiki::page_id(a_key, title);  // A's page of that title, as the author rule says
    v.author = a_key;
    v.created_unix_ms = 1800000000000;
    v.seq = 1800000000000;
    v.text = text;
    v.keywords = std::move(keywords);
    v.signature = mallory.sign(wiki::kVersionContext, wiki::version_signed_bytes(v));
    return v;
  };
  // 1. A new page "by A" that A never wrote, stored on B.
  const auto manifesto = forge("Forged Manifesto", "A never wrote this.", {"manifesto"});
  const std::string forged_new =
      store_as_attacker(B, wiki::encode_version(manifesto), wiki::version_keywords(manifesto));
  // 2. A version of A's real page "Home", stored on A itself, under a word A never used.
  const auto takeover = forge("Home", "Forged home text.", {"takeover"});
  const std::string forged_home =
      store_as_attacker(A, wiki::encode_version(takeover), wiki::version_keywords(takeover));
  // 3. An unsigned legacy (BWIKIV01) version naming A, stored on B.
  const auto old = forge("Old Times", "Unsigned.", {"legacyword"});
  const std::string legacy =
      store_as_attacker(B, "BWIKIV01" + wiki::version_signed_bytes(old).substr(8), wiki::version_keywords(old));
  // 4. A's genuine version re-stored on B under a word it does not carry (same bytes; the object id
  //    differs, as the storage manifest holds the keywords, but the signature still verifies).
  auto genuine = http_get(A + "/storage/" + home_v1, std::chrono::seconds(15));
  REQUIRE(genuine.status == 200);
  const std::string smuggled = store_as_attacker(B, genuine.body, {"butter-wiki", "wikipage:" + home, "smuggled"});
  CHECK(get_json(B + "/wiki/api/version/" + smuggled)["text"] == "The real text.");

  for (const std::string& node : {A, B}) {
    INFO(node);
    // Read by id: refused with the reason.
    auto r = http_get(node + "/wiki/api/version/" + forged_new, std::chrono::seconds(15));
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains("not signed by the author it names"));
    r = http_get(node + "/wiki/api/version/" + forged_home, std::chrono::seconds(15));
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains("not signed by the author it names"));
    r = http_get(node + "/wiki/api/version/" + legacy, std::chrono::seconds(15));
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains("unsigned legacy version"));
    // Search: no result for the forged words, in anybody's name.
    for (const char* word : {"manifesto", "takeover", "legacyword", "smuggled"}) {
      INFO(word);
      CHECK(get_json(node + "/wiki/api/search?q=" + word)["results"].empty());
    }
    // The forged page is no page at all; A's Home is still the real text.
    CHECK(status_of(node + "/wiki/api/page/" + manifesto.page_id + "?fresh=1") == 404);
    auto page = get_json(node + "/wiki/api/page/" + home + "?fresh=1");
    CHECK(page["version"] == home_v1);
    CHECK(page["text"] == "The real text.");
    // Honest search still finds A's page, as A's.
    auto found = get_json(node + "/wiki/api/search?q=home");
    REQUIRE(found["results"].size() == 1);
    CHECK(found["results"][0]["page"] == home);
    CHECK(found["results"][0]["author"] == a->id_hex());
    CHECK(found["results"][0]["mine"] == (node == A));
  }
  // A's own list: only the page A wrote is "by this node".
  auto list = get_json(A + "/wiki/api/pages");
  REQUIRE(list["pages"].size() == 1);
  CHECK(list["pages"][0]["page"] == home);
  CHECK(list["pages"][0]["version"] == home_v1);
  CHECK(list["pages"][0]["mine"] == true);
  CHECK(a.counter("wiki", "wiki_forged_versions_total") >= 2);
  CHECK(b.counter("wiki", "wiki_forged_versions_total") >= 2);

  // Honest edits still work end to end.
  auto edited = post_page(A, "Home", "The real text, edited.", "home", "&base=" + home_v1);
  REQUIRE(edited.status == 201);
  const std::string home_v2 = nlohmann::json::parse(edited.body)["version"];
  CHECK(wait_until([&] { return get_json(B + "/wiki/api/page/" + home + "?fresh=1")["version"] == home_v2; },
                   std::chrono::seconds(20)));
  auto latest = get_json(B + "/wiki/api/page/" + home);
  CHECK(latest["text"] == "The real text, edited.");
  CHECK(latest["predecessor"] == home_v1);
  CHECK(latest["author"] == a->id_hex());
  CHECK(get_json(B + "/wiki/api/version/" + home_v2)["mine"] == false);
  CHECK(get_json(A + "/wiki/api/version/" + home_v2)["mine"] == true);
}

// Issue 18: butter.storage/1 returns an object inline in one events-bus result (at most 64 KiB),
// so a version over that could not be read on another node (504 after the fetch deadline, then a
// refusal with the reason). The SDK's get now reads it as a stream of butter.storage/3.
// (A, the writer, answers from what it wrote; B must ask storage.)
TEST_CASE("a version over the events bus limit is read whole on another node") {
  host::Runtime rt(2);
  host::PluginRegistry registry;
  TestNode a(rt, registry, wiki_node("a"));
  TestNode b(rt, registry, wiki_node("b", a.endpoint()));
  const std::string A = a->http_url(), B = b->http_url();
  REQUIRE(wait_until([&] { return a->status()["peers"].size() == 1; }));
  std::string text;
  for (int i = 0; text.size() < 100 * 1000; ++i) text += "a long line of the page number " + std::to_string(i) + "\n";
  auto created = post_page(A, "Long Page", text, "long");
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string version = nlohmann::json::parse(created.body)["version"];
  auto r = http_get(B + "/wiki/api/version/" + version, std::chrono::seconds(15));  // B reads it through storage
  INFO(r.status << " " << r.body.substr(0, 200));
  REQUIRE(r.status == 200);
  const auto v = nlohmann::json::parse(r.body);
  CHECK(v["title"] == "Long Page");
  CHECK(v["text"] == text);
  CHECK(v["mine"] == false);
}
