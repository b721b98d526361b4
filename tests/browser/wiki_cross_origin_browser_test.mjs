// A page from another origin cannot write to the wiki, in a real browser: one `butter run` node on
// loopback (storage, search, wiki) and a second origin, a tiny HTTP server on another 127.0.0.1
// port, whose pages make headless Debian chromium (playwright-core) post to the node: an
// auto-submitting form to /wiki/api/pages and no-cors fetch()es to /wiki/api/pages and /storage.
// The node must answer each with 403 and hold no page or object afterwards, asked through its own
// API. A control: the node's own page (same origin) still creates a page. And a DNS-rebinding
// stand-in: chromium resolves rebind.test to 127.0.0.1; the node refuses that Host (421).
//
//   node wiki_cross_origin_browser_test.mjs --butter build/bin/butter
//
// Bounded: every wait has a deadline and the whole run is killed after 90 s; the node, the second
// origin and the browser are stopped on every way out. Exit 0 = passed, 1 = failed.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { runTest, startNode, stopNode, until, json } from "./butter_node.mjs";

const args = process.argv.slice(2);
const butter = args[args.indexOf("--butter") + 1];
const chromiumPath = process.env.BUTTER_CHROMIUM || "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "butter-browser-xo-"));
let node = null;
let browser = null;
let evil = null;

function log(...m) { console.log("[browser wiki cross-origin]", ...m); }

const manifest = `
[node]
listen = ["tcp://127.0.0.1:0"]
http = "127.0.0.1:0"
log_level = "info"

[plugins.storage]
plugin = "butter.storage.pcg"
[plugins.storage.config]
replicas = 1

[plugins.search]
plugin = "butter.ir.dbfs"

[plugins.wiki]
plugin = "butter.example.wiki"
[plugins.wiki.config]
write_wait_ms = 500
`;

function evilPages(target) {
  const form = `<!doctype html><title>form</title>
<form id="f" method="POST" action="${target}/wiki/api/pages" enctype="application/x-www-form-urlencoded">
<input name="title" value="Forged by a form"><input name="text" value="written by another site">
<input name="keywords" value="forged"></form>
<script>document.getElementById("f").submit();</script>`;
  const fetches = `<!doctype html><title>fetch</title>
<script>
const body = new URLSearchParams({ title: "Forged by fetch", text: "written by another site", keywords: "forged" });
Promise.allSettled([
  fetch("${target}/wiki/api/pages", { method: "POST", mode: "no-cors", body }),
  fetch("${target}/storage?wait=0", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" },
                                      body: "stored by another site" }),
]).then(() => { document.body.dataset.done = "1"; });
</script>`;
  return { "/form": form, "/fetch": fetches };
}

async function startEvil(target) {
  const pages = evilPages(target);
  const server = createServer((req, res) => {
    const page = pages[req.url];
    res.writeHead(page ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" });
    res.end(page || "not found");
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (evil) await new Promise((r) => evil.server.close(r));
  await stopNode(node).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

// The node's answer to the first POST to `path` that the browser sends from `page` while `action` runs.
async function answerTo(page, path, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === "POST"),
    action(),
  ]);
  return response.status();
}

async function main() {
  node = startNode(butter, dir, "victim", manifest);
  const http = await until("the node to run", () => {
    if (node.exited !== null) throw new Error(`the node exited (${node.exited}):\n${node.out}`);
    const m = node.out.match(/status at (http:\/\/[0-9.]+:(\d+))\/status/);
    return m && m[1];
  });
  const port = new URL(http).port;
  evil = await startEvil(http);
  log(`node ${http}, other origin ${evil.url}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
           "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
    timeout: 30000,
  });
  const context = await browser.newContext();
  context.setDefaultTimeout(15000);

  // 1. An auto-submitting form on the other origin.
  const pf = await context.newPage();
  const formStatus = await answerTo(pf, "/wiki/api/pages", () => pf.goto(`${evil.url}/form`));
  if (formStatus !== 403) throw new Error(`the cross-origin form got ${formStatus}, expected 403`);
  log("cross-origin form: 403");

  // 2. no-cors fetch()es from the other origin (the page cannot read the answer; the browser can).
  const pj = await context.newPage();
  const statuses = {};
  pj.on("response", (r) => {
    if (r.request().method() === "POST") statuses[new URL(r.url()).pathname] = r.status();
  });
  await pj.goto(`${evil.url}/fetch`);
  await pj.waitForFunction(() => document.body?.dataset.done === "1");
  await until("the fetch answers", () => statuses["/wiki/api/pages"] && statuses["/storage"], 10000);
  if (statuses["/wiki/api/pages"] !== 403 || statuses["/storage"] !== 403) {
    throw new Error(`cross-origin fetch answers: ${JSON.stringify(statuses)}, expected 403`);
  }
  log("cross-origin fetch: 403");

  // 3. Nothing was written: asked through the node's API.
  const pages = (await json(`${http}/wiki/api/pages`)).pages;
  if (pages.length !== 0) throw new Error(`pages were created: ${JSON.stringify(pages)}`);
  const objects = (await json(`${http}/storage`)).objects;
  if (objects.length !== 0) throw new Error(`objects were stored: ${JSON.stringify(objects)}`);
  const refused = (await json(`${http}/status`)).http.requests_refused_by;
  if (refused.origin < 3) throw new Error(`refusals not counted: ${JSON.stringify(refused)}`);

  // 4. DNS rebinding: a name that resolves to the node is not the node's name.
  const pr = await context.newPage();
  const rebound = await pr.goto(`http://rebind.test:${port}/wiki/api/pages`);
  if (rebound.status() !== 421) throw new Error(`a rebound Host got ${rebound.status()}, expected 421`);
  log("rebound Host: 421");

  // 5. Control: the node's own page still writes.
  const po = await context.newPage();
  await po.goto(`${http}/wiki`);
  const own = await answerTo(po, "/wiki/api/pages", () => po.evaluate(() => fetch("/wiki/api/pages", {
    method: "POST", body: new URLSearchParams({ title: "Own page", text: "from the wiki itself", keywords: "own" }),
  })));
  if (own !== 201) throw new Error(`the node's own page got ${own}, expected 201`);
  const after = (await json(`${http}/wiki/api/pages`)).pages;
  if (after.length !== 1 || after[0].title !== "Own page") throw new Error(`unexpected pages: ${JSON.stringify(after)}`);
  log("same-origin write: 201, one page");
}

await runTest("browser wiki cross-origin", 90000, main, cleanup, () => (node ? [node] : []));
