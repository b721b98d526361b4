// PluginWatcher (host/node/plugin_watcher.hpp): inotify on a temporary directory made by the test.
// Every wait is a bounded poll loop on the watcher itself; nothing sleeps to synchronise.
#include "node/plugin_watcher.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace butter;
using namespace std::chrono_literals;
using host::PluginWatcher;

namespace {

namespace fs = std::filesystem;

// A directory of the test's own, removed at the end.
struct WatcherTempDir : butter::test::ScratchDir {
  WatcherTempDir() : ScratchDir("watcher") {}
};

// Writes `text` to `path` in place (open, write, close: one IN_CLOSE_WRITE).
void watcher_write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  REQUIRE(out.good());
}

// Polls `w` until `want` changes were reported or `deadline` passes, then keeps polling for
// `quiet` more to catch any report that should not come. Bounded in time in every case.
std::vector<PluginWatcher::Change> watcher_collect(PluginWatcher& w, std::size_t want, std::chrono::milliseconds quiet,
                                                   std::chrono::milliseconds deadline = 10s) {
  std::vector<PluginWatcher::Change> got;
  const auto end = PluginWatcher::Clock::now() + deadline;
  while (got.size() < want && PluginWatcher::Clock::now() < end) {
    for (auto& c : w.poll(50ms)) got.push_back(std::move(c));
  }
  const auto quiet_end = PluginWatcher::Clock::now() + quiet;
  while (PluginWatcher::Clock::now() < quiet_end) {
    for (auto& c : w.poll(20ms)) got.push_back(std::move(c));
  }
  return got;
}

}  // namespace

TEST_CASE("the plugin watcher reports a file written in place once, after the debounce") {
  WatcherTempDir dir;
  const auto debounce = 100ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("libplug.so");
  watcher_write(file, "v1");  // before watching: not reported
  REQUIRE_FALSE(w.watch("plug", file));
  CHECK(w.poll(0ms).empty());

  const auto before = PluginWatcher::Clock::now();
  watcher_write(file, "v2");
  auto got = watcher_collect(w, 1, 4 * debounce);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "plug");
  CHECK(got[0].file == file);
  CHECK(got[0].detected >= before);
  CHECK(got[0].settled - got[0].detected >= debounce);
}

TEST_CASE("the plugin watcher holds a change back until the debounce has passed") {
  WatcherTempDir dir;
  const auto debounce = 1500ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("libslow.so");
  REQUIRE_FALSE(w.watch("slow", file));
  const auto written = PluginWatcher::Clock::now();
  watcher_write(file, "build");
  // Events arrive at once, but the burst has not settled: nothing yet, however often we ask.
  std::size_t early = 0;
  while (PluginWatcher::Clock::now() - written < debounce / 3) early += w.poll(20ms).size();
  CHECK(early == 0);
  auto got = watcher_collect(w, 1, 0ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].settled - written >= debounce);
}

TEST_CASE("the plugin watcher reports a file renamed over the watched one once, after the debounce") {
  WatcherTempDir dir;
  const auto debounce = 100ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("librn.so");
  watcher_write(file, "old");
  REQUIRE_FALSE(w.watch("rn", file));
  // The linker's way: a finished file under another name, renamed over the watched one.
  const std::string staged = dir.file("librn.so.tmp");
  watcher_write(staged, "new");
  REQUIRE(std::rename(staged.c_str(), file.c_str()) == 0);
  auto got = watcher_collect(w, 1, 4 * debounce);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "rn");
  CHECK(got[0].file == file);
  CHECK(got[0].settled - got[0].detected >= debounce);
}

TEST_CASE("the plugin watcher turns a burst of writes into one change spanning the burst") {
  WatcherTempDir dir;
  const auto debounce = 600ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("libburst.so");
  REQUIRE_FALSE(w.watch("burst", file));
  // Five writes 40 ms apart, the watcher polled in between (so that it reads each event as it
  // comes): a build writing its output in several goes.
  std::vector<PluginWatcher::Change> got;
  PluginWatcher::Clock::time_point second_write{}, last_write{};
  for (int i = 0; i < 5; ++i) {
    const auto t = PluginWatcher::Clock::now();
    if (i == 1) second_write = t;
    last_write = t;
    watcher_write(file, "chunk " + std::to_string(i));
    while (PluginWatcher::Clock::now() - t < 40ms) {
      for (auto& c : w.poll(10ms)) got.push_back(std::move(c));
    }
  }
  CHECK(got.empty());  // nothing while the burst goes on
  for (auto& c : watcher_collect(w, 1, debounce)) got.push_back(std::move(c));
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "burst");
  // Detected at the first write, settled a debounce after the last one (not after the first).
  CHECK(got[0].detected < second_write);
  CHECK(got[0].settled >= last_write + debounce);
}

TEST_CASE("the plugin watcher ignores other files in the watched directory") {
  WatcherTempDir dir;
  const auto debounce = 80ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("libwatched.so");
  REQUIRE_FALSE(w.watch("watched", file));
  watcher_write(dir.file("libother.so"), "not mine");
  watcher_write(dir.file("libwatched.so.d"), "a neighbour with a longer name");
  const std::string other_staged = dir.file("staging");
  watcher_write(other_staged, "x");
  REQUIRE(std::rename(other_staged.c_str(), dir.file("libother2.so").c_str()) == 0);
  // Events come in order: once the watched file (written last) is reported, any report for the
  // others would have come too.
  watcher_write(file, "mine");
  auto got = watcher_collect(w, 1, 4 * debounce);
  REQUIRE(got.size() == 1);
  CHECK(got[0].file == file);
  CHECK(got[0].instance == "watched");
}

TEST_CASE("the plugin watcher reports a file watched for two instances once for each") {
  WatcherTempDir dir;
  const auto debounce = 80ms;
  PluginWatcher w(debounce);
  const std::string file = dir.file("libshared.so");
  REQUIRE_FALSE(w.watch("first", file));
  REQUIRE_FALSE(w.watch("second", file));
  REQUIRE_FALSE(w.watch("second", file));  // watching again changes nothing
  watcher_write(file, "new build");
  auto got = watcher_collect(w, 2, 4 * debounce);
  REQUIRE(got.size() == 2);
  std::vector<std::string> instances{got[0].instance, got[1].instance};
  std::sort(instances.begin(), instances.end());
  CHECK(instances == std::vector<std::string>{"first", "second"});
  CHECK(got[0].file == file);
  CHECK(got[1].file == file);
}

TEST_CASE("the plugin watcher tells apart two watched files of one directory") {
  WatcherTempDir dir;
  const auto debounce = 80ms;
  PluginWatcher w(debounce);
  const std::string a = dir.file("liba.so"), b = dir.file("libb.so");
  REQUIRE_FALSE(w.watch("a", a));
  REQUIRE_FALSE(w.watch("b", b));
  watcher_write(b, "b");
  auto got = watcher_collect(w, 1, 4 * debounce);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "b");
  CHECK(got[0].file == b);
  watcher_write(a, "a");
  got = watcher_collect(w, 1, 4 * debounce);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "a");
  CHECK(got[0].file == a);
}

TEST_CASE("the plugin watcher reports a watched file that did not exist yet when it is first written") {
  WatcherTempDir dir;
  PluginWatcher w(50ms);
  const std::string file = dir.file("not-built-yet.so");
  REQUIRE_FALSE(fs::exists(file));
  REQUIRE_FALSE(w.watch("fresh", file));
  watcher_write(file, "first build");
  auto got = watcher_collect(w, 1, 200ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].file == file);
}

TEST_CASE("the plugin watcher normalises the watched path and reports it absolute") {
  WatcherTempDir dir;
  fs::create_directory(dir.path / "sub");
  PluginWatcher w(50ms);
  const std::string spelled = (dir.path / "sub" / ".." / "." / "libnorm.so").string();
  REQUIRE_FALSE(w.watch("norm", spelled));
  watcher_write(dir.file("libnorm.so"), "x");
  auto got = watcher_collect(w, 1, 200ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].file == dir.file("libnorm.so"));
}

TEST_CASE("the plugin watcher refuses a file in a directory that does not exist") {
  WatcherTempDir dir;
  PluginWatcher w(50ms);
  const std::string missing_dir = dir.file("no-such-dir");
  host::Error e = w.watch("lost", missing_dir + "/libx.so");
  REQUIRE(e);
  CHECK(e.code == BUTTER_E_INVALID);
  CHECK_THAT(e.message, Catch::Contains(missing_dir));
  // The failed watch leaves the watcher usable.
  const std::string file = dir.file("libok.so");
  REQUIRE_FALSE(w.watch("ok", file));
  watcher_write(file, "x");
  auto got = watcher_collect(w, 1, 200ms);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "ok");
}

TEST_CASE("the plugin watcher's poll returns empty after its timeout when nothing happens") {
  WatcherTempDir dir;
  PluginWatcher w(50ms);
  REQUIRE_FALSE(w.watch("idle", dir.file("libidle.so")));
  const auto t0 = PluginWatcher::Clock::now();
  CHECK(w.poll(120ms).empty());
  // It waited (on the inotify fd) rather than returning at once.
  CHECK(PluginWatcher::Clock::now() - t0 >= 100ms);
}

TEST_CASE("the plugin watcher re-arms a watched directory that was deleted and re-created") {
  WatcherTempDir dir;
  const fs::path sub = dir.path / "build";
  REQUIRE(fs::create_directory(sub));
  PluginWatcher w(50ms);
  const std::string file = (sub / "libre.so").string();
  REQUIRE_FALSE(w.watch("re", file));
  fs::remove_all(sub);
  // The watcher sees the directory go (and keeps trying to watch it again) while it is gone.
  CHECK(watcher_collect(w, 1, 0ms, 3 * PluginWatcher::kRearmInterval).empty());
  REQUIRE(fs::create_directory(sub));
  watcher_write(file, "after the clean");
  auto got = watcher_collect(w, 1, 200ms, 5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "re");
  CHECK(got[0].file == file);
  // The new watch is live: a later build is reported too, once.
  watcher_write(file, "next build");
  got = watcher_collect(w, 1, 200ms, 5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].file == file);
}

TEST_CASE("the plugin watcher follows a watched directory replaced by a new one before it polls") {
  WatcherTempDir dir;
  const fs::path sub = dir.path / "out";
  REQUIRE(fs::create_directory(sub));
  PluginWatcher w(50ms);
  const std::string file = (sub / "libmv.so").string();
  REQUIRE_FALSE(w.watch("mv", file));
  // Moved away, written there (not the watched path any more), then a new directory in its place
  // with a new build: all before the watcher reads a single event.
  const fs::path moved = dir.path / "out.old";
  fs::rename(sub, moved);
  watcher_write((moved / "libmv.so").string(), "stale");
  REQUIRE(fs::create_directory(sub));
  watcher_write(file, "fresh");
  auto got = watcher_collect(w, 1, 200ms, 5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].instance == "mv");
  CHECK(got[0].file == file);
  watcher_write(file, "fresher");
  got = watcher_collect(w, 1, 200ms, 5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].file == file);
}
