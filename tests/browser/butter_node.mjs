// What the browser tests share: `butter run` nodes started from manifest text (their output
// kept, their endpoints read from the log), polling with a deadline, JSON GETs, and stopping a
// node (SIGTERM, SIGKILL after 5 s).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

// Starts `butter run <dir>/<name>.toml --name <name> [extra...]` with `manifest` as the file.
export function startNode(butter, dir, name, manifest, extra = []) {
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, manifest);
  const child = spawn(butter, ["run", file, "--name", name, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const node = { name, child, out: "", exited: null };
  child.stdout.on("data", (d) => { node.out += d; });
  child.stderr.on("data", (d) => { node.out += d; });
  child.on("exit", (code, sig) => { node.exited = code ?? sig; });
  child.on("error", (e) => { node.out += `cannot start ${butter}: ${e.message}\n`; node.exited = -1; });
  return node;
}

// Polls `fn` every 100 ms until it returns something truthy (thrown errors count as "not yet").
export async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The node's TCP endpoint and HTTP base URL, once its log says where it listens.
export async function endpoints(node) {
  return until(`${node.name} to run`, () => {
    if (node.exited !== null) throw new Error(`${node.name} exited (${node.exited}):\n${node.out}`);
    const m = node.out.match(/listening on (tcp:\/\/[0-9.]+:\d+); status at (http:\/\/[0-9.]+:\d+)\/status/);
    return m && { tcp: m[1], http: m[2] };
  });
}

export async function json(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

export async function stopNode(node) {
  if (!node || node.exited !== null) return;
  const gone = new Promise((r) => node.child.once("exit", r));
  node.child.kill("SIGTERM");
  const timer = setTimeout(() => node.child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

// Runs `main` bounded by `limitMs`: exit 0 after "1 passed", 1 on any failure or overrun, with
// the tail of each node's log (from `nodes()`) on failure; `cleanup` runs on every way out.
export async function runTest(label, limitMs, main, cleanup, nodes) {
  const killer = setTimeout(async () => {
    console.error(`[${label}] FAILED: the whole test took more than ${limitMs / 1000} s`);
    await cleanup();
    process.exit(1);
  }, limitMs);
  try {
    await main();
    clearTimeout(killer);
    await cleanup();
    console.log("1 passed, 0 failed");
    process.exit(0);
  } catch (e) {
    clearTimeout(killer);
    console.error(`[${label}] FAILED:`, e.stack || e);
    for (const n of nodes()) console.error(`--- ${n.name} log ---\n${n.out.slice(-4000)}`);
    await cleanup();
    process.exit(1);
  }
}
