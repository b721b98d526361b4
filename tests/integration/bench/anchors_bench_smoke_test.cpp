// `make bench`'s anchors benchmark (bench/anchors_bench.sh, built as bin/butter-bench-anchors) in
// its quick mode, so that it does not rot: it runs Butter's echo (encrypted and plaintext) next to
// the raw Asio and js-libp2p anchors and a small object through `butter put` / `butter get`, and
// prints well-formed tables. Nothing here is timed: no figure is compared with an aim (the machine
// is shared); only the shape of the output and that Butter's own programs produced figures.
// An anchor that cannot run here (no anchors folder, no node/npm, no network for npm ci) makes the
// test skip, saying why, once Butter's own rows and the CLI transfer were checked.
#include "support/process.hpp"
#include "support/skip.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

using namespace butter::test;
namespace fs = std::filesystem;

namespace {

const std::string kBench = BUTTER_BUILD_DIR "/bin/butter-bench-anchors";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The line that starts with `prefix`, or "".
std::string line_starting(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines)
    if (l.rfind(prefix, 0) == 0) return l;
  return "";
}

}  // namespace

TEST_CASE("butter-bench-anchors in quick mode prints the medians, the Butter / anchor ratios and the CLI transfer") {
  if (!fs::exists(kBench)) {
    skip(kBench + " is not built (configure with BUTTER_BENCH=ON)");
    return;
  }
  const std::string log =
      (fs::temp_directory_path() / ("butter-bench-anchors-" + std::to_string(::getpid()) + ".log")).string();
  Process p({kBench}, log,
            {"BUTTER_BENCH_QUICK=1", "BUTTER_BENCH_N=300", "BUTTER_BENCH_SECONDS=0.3", "BUTTER_BENCH_CLI_MIB=4"});
  const int code = p.wait_exit(std::chrono::seconds(240));
  const std::string out = p.log();
  std::error_code ec;
  fs::remove(log, ec);
  INFO(out);
  REQUIRE(code == 0);
  const auto lines = lines_of(out);

  // Butter's own rows always have figures; an anchor's row has figures or says why it is missing.
  const std::regex figures(R"(^\S+ +(64|65536)( +[0-9]+(\.[0-9]+)?){5}$)");
  std::vector<std::string> missing;
  for (const std::string impl : {"butter-encrypted", "butter-plaintext", "asio-raw", "js-libp2p"}) {
    for (const std::string size : {"64", "65536"}) {
      const std::regex row("^" + impl + " +" + size + " ");
      auto it =
          std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_search(l, row); });
      INFO(impl << " S=" << size);
      REQUIRE(it != lines.end());
      if (impl.rfind("butter", 0) == 0 || std::regex_match(*it, figures)) {
        CHECK(std::regex_match(*it, figures));
      } else {
        missing.push_back(*it);
      }
    }
  }

  // The ratio table: a header and three rows of four cells, each a ratio ("0.85x", with its aim
  // where the issue sets one) or the reason an anchor is missing.
  REQUIRE_FALSE(line_starting(lines, "--- Butter / anchor").empty());
  const std::regex ratio_cell(R"(^[0-9]+\.[0-9]{2}x( \(aim (>=|<=) [0-9]+\.[0-9]{2}x: (met|NOT MET)\))?$)");
  const std::regex reason_cell(R"(^(asio-raw|js-libp2p): .+$)");
  int aims = 0;
  for (const std::string row : {"encrypted vs raw Asio", "encrypted vs js-libp2p", "plaintext vs raw Asio"}) {
    const std::string l = line_starting(lines, row);
    INFO(row);
    REQUIRE_FALSE(l.empty());
    std::vector<std::string> cells;
    std::istringstream in(l);
    for (std::string c; std::getline(in, c, '|');) {
      while (!c.empty() && c.back() == ' ') c.pop_back();
      while (!c.empty() && c.front() == ' ') c.erase(0, 1);
      cells.push_back(c);
    }
    REQUIRE(cells.size() == 5);
    for (std::size_t i = 1; i < cells.size(); ++i) {
      INFO("cell " << cells[i]);
      CHECK((std::regex_match(cells[i], ratio_cell) || std::regex_match(cells[i], reason_cell)));
      if (cells[i].find("(aim ") != std::string::npos) ++aims;
    }
  }
  // Six aims in issue 18's table (two S=64, three encrypted S=65536, one plaintext S=65536), all
  // shown when both anchors ran.
  if (missing.empty()) CHECK(aims == 6);

  // The CLI transfer: put, get, both peak RSS figures, and the ratio to the encrypted echo.
  CHECK(std::regex_search(
      out,
      std::regex(
          R"(4 MiB: put [0-9.]+ MiB/s, get [0-9.]+ MiB/s; peak RSS: butter get -?[0-9]+ KiB, reading node [0-9]+ KiB)")));
  CHECK(std::regex_search(out,
                          std::regex(R"(get / encrypted echo throughput at S=65536 \(this run\): [0-9]+\.[0-9]{2}x)")));
  CHECK(std::regex_search(out, std::regex(R"(load average \(1/5/15 min\) before -> after: )")));

  if (!missing.empty()) {
    std::string why;
    for (const auto& m : missing) why += "\n  " + m;
    // Skipped (reported as such by ctest), also under CI: the anchors live outside this
    // repository (../shared/anchors) and js-libp2p needs the npm registry; Butter's own rows and
    // the CLI transfer were checked above either way.
    skip("an anchor could not run here (the rest of the table is well-formed):" + why);
  }
}
