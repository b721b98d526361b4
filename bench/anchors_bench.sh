#!/usr/bin/env bash
# Butter next to the anchors (raw Boost.Asio echo, js-libp2p echo; ../shared/anchors, see its
# README) on the same echo workload, in one run: S=64 and S=65536, Butter encrypted (as nodes run
# by default) and plaintext, runs interleaved (asio, js-libp2p, butter encrypted, butter
# plaintext, then again), per-metric medians. Prints the medians, then issue 18's table as ratios
# Butter / anchor with each aim next to its figure (met / not met), then a large object through
# the CLI (`butter put` on one node, `butter get` on another) against the encrypted echo
# throughput of this run.
#
# An anchor that cannot run (no node/npm, npm ci without network, no cmake) leaves its column
# saying why; the rest still runs. Every program runs under `timeout`.
#
# Environment:
#   BUTTER_BENCH_QUICK=1   smoke run: 1 run, N=500, T=0.5 s, 16 MiB through the CLI (~30 s)
#   BUTTER_BENCH_RUNS, BUTTER_BENCH_N, BUTTER_BENCH_SECONDS, BUTTER_BENCH_CLI_MIB   override
#   BUTTER_ANCHORS_DIR     where the anchors' sources are (default: configured at build time)
set -uo pipefail
bin="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$bin/.." && pwd)"
anchors_src="${BUTTER_ANCHORS_DIR:-@BUTTER_ANCHORS_DIR@}"
work="$build/anchors"  # the anchors are built here: their source folder may be read-only

if [ "${BUTTER_BENCH_QUICK:-0}" = 1 ]; then
  runs=1 n=500 secs=0.5 cli_mib=16
else
  runs=3 n=20000 secs=5 cli_mib=1024
fi
runs=${BUTTER_BENCH_RUNS:-$runs} n=${BUTTER_BENCH_N:-$n} secs=${BUTTER_BENCH_SECONDS:-$secs}
cli_mib=${BUTTER_BENCH_CLI_MIB:-$cli_mib}
# One anchor run at the defaults takes 7-22 s; allow for a loaded machine, never forever.
per_run_timeout=$(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%d", 60 + 2 * s + n / 200 }')

results=$(mktemp)
trap 'rm -f "$results"' EXIT
declare -A why  # impl -> why it did not run

# ---- prepare the anchors -------------------------------------------------------------------
asio="$work/asio-echo/asio-echo"
if [ ! -d "$anchors_src" ]; then
  why[asio-raw]="no anchors at $anchors_src (set BUTTER_ANCHORS_DIR)"
  why[js-libp2p]=${why[asio-raw]}
else
  if [ ! -x "$asio" ]; then
    if ! command -v cmake >/dev/null; then
      why[asio-raw]="cmake not found"
    elif ! { timeout 300 cmake -S "$anchors_src/asio-echo" -B "$work/asio-echo" -DCMAKE_BUILD_TYPE=Release &&
             timeout 600 cmake --build "$work/asio-echo"; } >"$work.asio-build.log" 2>&1; then
      why[asio-raw]="asio-echo did not build (see $work.asio-build.log)"
    fi
  fi
  js="$work/js-libp2p"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    why[js-libp2p]="node/npm not found"
  elif [ ! -d "$js/node_modules" ] || [ "$anchors_src/js-libp2p/package-lock.json" -nt "$js/node_modules" ]; then
    mkdir -p "$js"
    cp "$anchors_src/js-libp2p/"{package.json,package-lock.json,echo-bench.mjs} "$js/"
    if ! (cd "$js" && timeout 300 npm ci --no-audit --no-fund) >"$work.npm.log" 2>&1; then
      rm -rf "$js/node_modules"
      why[js-libp2p]="npm ci failed (no network for npm?; see $work.npm.log)"
    fi
  else
    cp "$anchors_src/js-libp2p/echo-bench.mjs" "$js/"  # the script may have changed, not the deps
  fi
fi

# Runs one program; keeps its JSON line, or records why it failed.
run_one() {
  local impl=$1
  shift
  [ -n "${why[$impl]:-}" ] && return
  local out
  if out=$(timeout "$per_run_timeout" "$@" 2>/dev/null) && grep -q '^{"impl"' <<<"$out"; then
    grep '^{"impl"' <<<"$out" | tee -a "$results"
  else
    why[$impl]="failed or timed out: $*"
    echo "$impl: ${why[$impl]}" >&2
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "anchors side by side: $runs run(s) each, N=$n sequential round trips, T=${secs}s with 8 workers"
for size in 64 65536; do
  for ((i = 1; i <= runs; i++)); do
    run_one asio-raw "$asio" --size "$size" --n "$n" --seconds "$secs"
    run_one js-libp2p bash -c 'cd "$1" && exec node echo-bench.mjs --size "$2" --n "$3" --seconds "$4"' _ \
      "$work/js-libp2p" "$size" "$n" "$secs"
    run_one butter-encrypted "$bin/butter-echo-anchor" --size "$size" --n "$n" --seconds "$secs"
    run_one butter-plaintext "$bin/butter-echo-anchor" --size "$size" --n "$n" --seconds "$secs" --plaintext
  done
done

echo "--- the CLI: $cli_mib MiB put on one node, read on another"
cli_out=$(timeout 900 "$bin/butter-cli-transfer" "$cli_mib" 2>&1)
cli=$(tail -1 <<<"$cli_out")
# On failure the reason is the transfer's own "butter-cli-transfer: ..." line, not its last line
# (the tail of a node's log).
grep -q '^{"impl":"butter-cli"' <<<"$cli" && echo "$cli" | tee -a "$results" ||
  why[butter-cli]="failed: $(grep -m1 '^butter-cli-transfer:' <<<"$cli_out" || echo "$cli")"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- medians and the table -----------------------------------------------------------------
why_lines=""
for k in "${!why[@]}"; do why_lines+="$k=${why[$k]}"$'\n'; done
awk -v why="$why_lines" -v load="$load_before -> $load_after" -v runs="$runs" '
function field(line, key,   m) {
  if (match(line, "\"" key "\":(\"[^\"]*\"|[-0-9.e+]+)")) {
    m = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
    gsub(/"/, "", m)
    return m
  }
  return ""
}
function median(key,   n, i, j, t, a) {
  n = split(vals[key], a, " ")
  if (n == 0) return ""
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((n + 1) / 2)]
}
function have(impl, size) { return (impl SUBSEP size SUBSEP "p50_us") in vals }
# A ratio cell: butter / anchor for one metric, with its aim ("<=" or ">=" a bound, or none).
function cell(b, a, size, metric, op, bound,   r, s) {
  if (!have(b, size)) return sprintf("%-32s", b ": " (reason[b] != "" ? reason[b] : "no result"))
  if (!have(a, size)) return sprintf("%-32s", a ": " (reason[a] != "" ? reason[a] : "no result"))
  r = median(b SUBSEP size SUBSEP metric) / median(a SUBSEP size SUBSEP metric)
  s = sprintf("%.2fx", r)
  if (op == ">=") s = s sprintf(" (aim >= %.2fx: %s)", bound, r >= bound ? "met" : "NOT MET")
  if (op == "<=") s = s sprintf(" (aim <= %.2fx: %s)", bound, r <= bound ? "met" : "NOT MET")
  return sprintf("%-32s", s)
}
BEGIN {
  nw = split(why, wl, "\n")
  for (i = 1; i <= nw; i++) if (wl[i] != "") { k = substr(wl[i], 1, index(wl[i], "=") - 1); reason[k] = substr(wl[i], index(wl[i], "=") + 1) }
}
/^\{"impl"/ {
  impl = field($0, "impl")
  if (impl == "butter-cli") { cli = $0; next }
  size = field($0, "size")
  split("p50_us p99_us rps_seq rps_conc mib_s_conc", ks, " ")
  for (i in ks) vals[impl, size, ks[i]] = vals[impl, size, ks[i]] " " field($0, ks[i])
}
END {
  printf "\n--- medians of %d run(s) per metric\n", runs
  printf "%-18s %7s %10s %10s %10s %11s %11s\n", "impl", "S", "p50 us", "p99 us", "rps_seq", "rps_conc", "MiB/s conc"
  split("asio-raw js-libp2p butter-encrypted butter-plaintext", impls, " ")
  for (s = 1; s <= 2; s++) {
    size = s == 1 ? 64 : 65536
    for (i = 1; i <= 4; i++) {
      im = impls[i]
      if (!have(im, size)) { printf "%-18s %7d   %s\n", im, size, reason[im] != "" ? reason[im] : "no result"; continue }
      printf "%-18s %7d %10.1f %10.1f %10.0f %11.0f %11.2f\n", im, size, median(im SUBSEP size SUBSEP "p50_us"),
             median(im SUBSEP size SUBSEP "p99_us"), median(im SUBSEP size SUBSEP "rps_seq"),
             median(im SUBSEP size SUBSEP "rps_conc"), median(im SUBSEP size SUBSEP "mib_s_conc")
    }
  }
  # Issue 18: Butter / anchor. p50: lower is better; throughput (8 workers): higher is better.
  # Aims (encrypted): S=65536 >= 5x js-libp2p throughput, <= 0.5x its p50, >= 0.5x raw Asio
  # throughput; plaintext S=65536 >= 0.8x raw Asio throughput; S=64 at least 0.9x raw Asio
  # (throughput >= 0.9x, p50 <= 1/0.9 = 1.11x).
  printf "\n--- Butter / anchor (medians; p50: lower is better, 8x throughput: higher is better)\n"
  printf "%-24s | %-32s | %-32s | %-32s | %-32s\n", "", "S=64 p50", "S=64 8x throughput", "S=65536 p50", "S=65536 8x throughput"
  printf "%-24s | %s | %s | %s | %s\n", "encrypted vs raw Asio",
         cell("butter-encrypted", "asio-raw", 64, "p50_us", "<=", 1 / 0.9),
         cell("butter-encrypted", "asio-raw", 64, "rps_conc", ">=", 0.9),
         cell("butter-encrypted", "asio-raw", 65536, "p50_us", "", 0),
         cell("butter-encrypted", "asio-raw", 65536, "rps_conc", ">=", 0.5)
  printf "%-24s | %s | %s | %s | %s\n", "encrypted vs js-libp2p",
         cell("butter-encrypted", "js-libp2p", 64, "p50_us", "", 0),
         cell("butter-encrypted", "js-libp2p", 64, "rps_conc", "", 0),
         cell("butter-encrypted", "js-libp2p", 65536, "p50_us", "<=", 0.5),
         cell("butter-encrypted", "js-libp2p", 65536, "rps_conc", ">=", 5)
  printf "%-24s | %s | %s | %s | %s\n", "plaintext vs raw Asio",
         cell("butter-plaintext", "asio-raw", 64, "p50_us", "", 0),
         cell("butter-plaintext", "asio-raw", 64, "rps_conc", "", 0),
         cell("butter-plaintext", "asio-raw", 65536, "p50_us", "", 0),
         cell("butter-plaintext", "asio-raw", 65536, "rps_conc", ">=", 0.8)

  printf "\n--- the CLI: butter put on node A, butter get on node B (encrypted), then cmp\n"
  if (cli == "") { printf "butter-cli: %s\n", reason["butter-cli"] != "" ? reason["butter-cli"] : "no result" }
  else {
    get = field(cli, "get_mib_s")
    printf "%s MiB: put %s MiB/s, get %s MiB/s; peak RSS: butter get %s KiB, reading node %s KiB (%s KiB before the get)\n",
           field(cli, "mib"), field(cli, "put_mib_s"), get, field(cli, "cli_peak_rss_kib"),
           field(cli, "node_peak_rss_kib"), field(cli, "node_rss_before_kib")
    if (have("butter-encrypted", 65536))
      printf "get / encrypted echo throughput at S=65536 (this run): %.2fx (%s / %.1f MiB/s)\n",
             get / median("butter-encrypted" SUBSEP 65536 SUBSEP "mib_s_conc"), get,
             median("butter-encrypted" SUBSEP 65536 SUBSEP "mib_s_conc")
  }
  printf "\nload average (1/5/15 min) before -> after: %s\n", load
}' "$results"

# Butter's own programs failing is a failure of the benchmark; a missing anchor is not.
for k in butter-encrypted butter-plaintext butter-cli; do
  [ -z "${why[$k]:-}" ] || exit 1
done
exit 0
