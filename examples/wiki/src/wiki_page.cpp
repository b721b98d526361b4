// wiki_page: the web page served on GET /wiki — plain HTML and JavaScript, no build step. It talks
// to the JSON routes of this plugin only: list (GET /wiki/api/pages), search, read (answered from
// what the node knows, then re-read with ?fresh=1), and create/edit (POST, form encoded).
// Navigation is in the URL fragment: #/page/<id>, #/search/<words>, #/new, #/edit/<id>.
#include "wiki.hpp"

namespace wiki {

const std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Butter wiki</title>
<link rel="stylesheet" href="/wiki/wiki.css">
</head>
<body>
<header>
  <h1><a href="#/">Butter wiki</a></h1>
  <form class="search" id="search">
    <input id="search-q" name="q" placeholder="search titles and keywords" aria-label="search">
    <button id="search-go">Search</button>
  </form>
  <a href="#/new" id="new-page">New page</a>
</header>
<div id="status" role="status"></div>
<main id="main"></main>
<script src="/wiki/wiki.js"></script>
</body>
</html>
)HTML";

// Served on their own routes, not inline: the host's Content-Security-Policy (script and style
// from the node itself only) blocks inline script and style, which keeps injected markup inert.
const std::string_view kStyle =
    R"CSS(body { font: 16px/1.5 system-ui, sans-serif; max-width: 50rem; margin: 1rem auto; padding: 0 1rem; color: #222; }
header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; border-bottom: 1px solid #ddd; padding-bottom: .5rem; }
header h1 { font-size: 1.3rem; margin: 0; } header h1 a { color: inherit; text-decoration: none; }
form.search { display: flex; gap: .3rem; flex: 1; } form.search input { flex: 1; }
#status { color: #a22; min-height: 1.5em; }
.meta { color: #666; font-size: .85em; }
#page-text { white-space: pre-wrap; }
.kw { display: inline-block; background: #eef; border-radius: 3px; padding: 0 .3rem; margin-right: .2rem; font-size: .85em; }
#editor label { display: block; margin-top: .6rem; font-weight: bold; }
#editor input, #editor textarea { width: 100%; box-sizing: border-box; font: inherit; }
#editor textarea { min-height: 18rem; }
ul { padding-left: 1.2rem; }
)CSS";

const std::string_view kScript = R"JS("use strict";
const main = document.getElementById("main");
const statusLine = document.getElementById("status");
let node = "";
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const short = (id) => id.slice(0, 12);
const when = (ms) => new Date(ms).toLocaleString();
function say(text) { statusLine.textContent = text || ""; }
async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = await r.text();
  if (!r.ok) throw new Error(body.trim() || r.status);
  return JSON.parse(body);
}
function pageLink(p) {
  return `<a class="page-link" href="#/page/${p.page}">${esc(p.title)}</a> <span class="meta">by ${p.mine ? "this node" : esc(short(p.author))}</span>`;
}
async function home() {
  main.innerHTML = "<h2>Pages this node knows</h2><ul id=\"pages\"><li>…</li></ul>";
  const j = await api("/wiki/api/pages");
  node = j.node;
  document.getElementById("pages").innerHTML = j.pages.length
    ? j.pages.map((p) => `<li>${pageLink(p)}</li>`).join("")
    : "<li>None yet: search for pages on other nodes, or write a new one.</li>";
}
async function search(words) {
  document.getElementById("search-q").value = words;
  main.innerHTML = `<h2>Search: ${esc(words)}</h2><p class="meta">searching…</p>`;
  const j = await api("/wiki/api/search?q=" + encodeURIComponent(words));
  main.innerHTML = `<h2>Search: ${esc(j.query.join(" "))}</h2>` +
    `<ul id="results">${j.results.map((p) => `<li>${pageLink(p)}</li>`).join("") || "<li>No page found.</li>"}</ul>` +
    `<p class="meta">${j.hits} hits, ${j.messages} query messages${j.search === "ok" ? "" : "; search: " + esc(j.search)}</p>`;
}
function showPage(v) {
  main.innerHTML = `<article>
    <h2 id="page-title">${esc(v.title)}</h2>
    <p class="meta" id="page-meta">by ${v.mine ? "this node" : esc(short(v.author))} · ${esc(when(v.created))} ·
      version <code>${short(v.version)}</code>${v.predecessor ? ` · <a href="#/version/${v.predecessor}">previous version</a>` : ""}</p>
    <p id="page-keywords">${v.keywords.map((k) => `<span class="kw">${esc(k)}</span>`).join("")}</p>
    <div id="page-text">${esc(v.text)}</div>
    <p><a id="edit" href="#/edit/${v.page}">${v.mine ? "Edit" : "Edit (as this node's own copy)"}</a></p>
  </article>`;
}
async function page(id) {
  main.innerHTML = "<p class=\"meta\">finding the latest version…</p>";
  let v = await api("/wiki/api/page/" + id);
  showPage(v);
  try {
    const fresh = await api("/wiki/api/page/" + id + "?fresh=1");
    if (fresh.version !== v.version && location.hash === "#/page/" + id) showPage(fresh);
  } catch (e) { /* keep what we have */ }
}
async function version(id) {
  const v = await api("/wiki/api/version/" + id);
  showPage(v);
  document.getElementById("page-meta").insertAdjacentHTML("beforeend", v.latest ? "" : ` · <a href="#/page/${v.page}">latest version</a>`);
}
async function editor(id) {
  let v = { title: "", text: "", keywords: [], version: "" };
  if (id) v = await api("/wiki/api/page/" + id + "?fresh=1");
  main.innerHTML = `<form id="editor">
    <label for="edit-title">Title</label><input id="edit-title" name="title" maxlength="200" required value="${esc(v.title)}">
    <label for="edit-keywords">Keywords (separated by commas or spaces)</label>
    <input id="edit-keywords" name="keywords" value="${esc(v.keywords.join(", "))}">
    <label for="edit-text">Text</label><textarea id="edit-text" name="text">${esc(v.text)}</textarea>
    <p><button id="save">Save</button> <a href="${id ? "#/page/" + id : "#/"}">Cancel</a></p>
  </form>`;
  document.getElementById("editor").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    say("saving…");
    const body = new URLSearchParams({
      title: document.getElementById("edit-title").value,
      text: document.getElementById("edit-text").value,
      keywords: document.getElementById("edit-keywords").value,
    });
    if (v.version) body.set("base", v.version);
    try {
      const r = await api("/wiki/api/pages", { method: "POST", body });
      say("");
      location.hash = "#/page/" + r.page;
    } catch (e) { say("not saved: " + e.message); }
  });
}
async function route() {
  say("");
  const h = decodeURIComponent(location.hash.slice(1) || "/");
  const parts = h.split("/");
  try {
    if (parts[1] === "page" && parts[2]) await page(parts[2]);
    else if (parts[1] === "version" && parts[2]) await version(parts[2]);
    else if (parts[1] === "search") await search(parts.slice(2).join("/"));
    else if (parts[1] === "new") await editor("");
    else if (parts[1] === "edit" && parts[2]) await editor(parts[2]);
    else await home();
  } catch (e) { say(e.message); }
}
document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = document.getElementById("search-q").value.trim();
  if (q) location.hash = "#/search/" + encodeURIComponent(q);
});
window.addEventListener("hashchange", route);
route();
)JS";

}  // namespace wiki
