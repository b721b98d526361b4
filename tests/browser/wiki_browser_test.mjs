// The wiki in a real browser: two `butter run` nodes on loopback (storage, search, wiki), headless
// Debian chromium driven by playwright-core. A page is created through A's web page, searched for
// and read through B's; A is stopped; the page is still readable on B.
//
//   node wiki_browser_test.mjs --butter build/bin/butter
//
// Bounded: every wait has a deadline and the whole run is killed after 150 s; the nodes and the
// browser are stopped on every way out. Exit 0 = passed, 1 = failed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import * as butterNode from "./butter_node.mjs";
const { until, endpoints, json, stopNode, runTest } = butterNode;

const args = process.argv.slice(2);
const butter = args[args.indexOf("--butter") + 1];
const chromiumPath = process.env.BUTTER_CHROMIUM || "/usr/bin/chromium";
const dir = mkdtempSync(join(tmpdir(), "butter-browser-"));
const nodes = [];
let browser = null;

function log(...m) { console.log("[browser wiki]", ...m); }

const manifest = `
[node]
listen = ["tcp://127.0.0.1:0"]
http = "127.0.0.1:0"
log_level = "info"

[plugins.peers]
plugin = "butter.knownhosts.quality"

[plugins.storage]
plugin = "butter.storage.pcg"
[plugins.storage.config]
replicas = 2
heartbeat_ms = 200

[plugins.search]
plugin = "butter.ir.dbfs"

[plugins.wiki]
plugin = "butter.example.wiki"
[plugins.wiki.config]
search_timeout_ms = 600
`;

function startNode(name, bootstrap) {
  const node = butterNode.startNode(butter, dir, name, manifest, bootstrap ? ["--bootstrap", bootstrap] : []);
  nodes.push(node);
  return node;
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const n of nodes) await stopNode(n).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const a = startNode("a");
  const A = await endpoints(a);
  const b = startNode("b", A.tcp);
  const B = await endpoints(b);
  await until("A and B to connect", async () => (await json(`${A.http}/status`)).peers.length >= 1);
  log(`nodes up: A ${A.http}, B ${B.http}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    timeout: 30000,
  });
  const context = await browser.newContext();
  context.setDefaultTimeout(15000);
  const errors = [];
  context.on("weberror", (e) => errors.push(String(e.error())));

  // 1. Create a page on A's web page.
  const tag = Math.random().toString(36).slice(2, 8);
  const title = `Spreading butter ${tag}`;
  const text = `Soften it first.\nThen spread it thin (${tag}).`;
  const pa = await context.newPage();
  await pa.goto(`${A.http}/wiki`);
  await pa.click("#new-page");
  await pa.fill("#edit-title", title);
  await pa.fill("#edit-keywords", "kitchen, howto");
  await pa.fill("#edit-text", text);
  await pa.click("#save");
  await pa.waitForFunction((t) => document.querySelector("#page-title")?.textContent === t, title);
  const pageId = new URL(pa.url()).hash.split("/")[2];
  if (!/^[0-9a-f]{32}$/.test(pageId)) throw new Error(`no page id in ${pa.url()}`);
  log(`created ${pageId} on A`);

  // 2. Search for it on B's web page (retrying while replication and indexing settle) and read it.
  const pb = await context.newPage();
  await pb.goto(`${B.http}/wiki`);
  await until("the page in B's search results", async () => {
    await pb.fill("#search-q", `spreading ${tag}`);
    await pb.click("#search-go");
    await pb.waitForSelector("#results", { timeout: 10000 });
    return (await pb.locator("#results a.page-link", { hasText: title }).count()) === 1;
  }, 40000);
  await pb.locator("#results a.page-link", { hasText: title }).click();
  await pb.waitForFunction((t) => document.querySelector("#page-text")?.textContent === t, text);
  const meta = await pb.textContent("#page-meta");
  if (meta.includes("this node")) throw new Error(`B shows A's page as its own: ${meta}`);
  log("found and read on B");

  // 3. Stop A once B holds copies of the page's objects; B still reads it.
  await until("B to hold the page's version and head", async () => {
    const s = await json(`${B.http}/storage`);
    const has = (k) => s.objects.some((o) => o.keywords.includes(k));
    return has(`wikipage:${pageId}`) && has(`wikihead:${pageId}`);
  }, 30000);
  await stopNode(a);
  log("A stopped");
  const pc = await context.newPage();
  await pc.goto(`${B.http}/wiki#/page/${pageId}`);
  await pc.waitForFunction((t) => document.querySelector("#page-text")?.textContent === t, text);
  if (!(await pc.textContent("#page-title")).includes(title)) throw new Error("wrong title on B after A stopped");
  // A fresh re-read (what the page does in the background) and a search still work without A.
  const fresh = await json(`${B.http}/wiki/api/page/${pageId}?fresh=1`);
  if (fresh.text !== text) throw new Error("fresh read on B after A stopped differs");
  await pc.fill("#search-q", `spreading ${tag}`);
  await pc.click("#search-go");
  await pc.locator("#results a.page-link", { hasText: title }).waitFor();
  log("still readable and found on B with A gone");
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
}

await runTest("browser wiki", 150000, main, cleanup, () => nodes);
