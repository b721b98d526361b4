// chat_page: the page served on GET /chat. It polls GET /chat/messages?after=N once a second and
// posts with POST /chat/messages (form encoded). No build step: the text below is the page.
#include "chat_page.hpp"

namespace chat {

const std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Butter chat</title>
<link rel="stylesheet" href="/chat/chat.css">
</head>
<body>
<h1>Butter chat</h1>
<p>Node <code id="node">…</code>. Every node of the network shows what any node sends.</p>
<div id="log" aria-live="polite"></div>
<form id="send">
  <input id="nick" name="nick" placeholder="nick" maxlength="32">
  <input id="text" name="text" placeholder="message" maxlength="1000" autocomplete="off" required>
  <button>Send</button>
</form>
<div id="status"></div>
<script src="/chat/chat.js"></script>
</body>
</html>
)HTML";

// Served on their own routes, not inline: the host's Content-Security-Policy (script and style
// from the node itself only) blocks inline script and style, which keeps injected markup inert.
const std::string_view kStyle =
    R"CSS(body { font: 16px/1.4 system-ui, sans-serif; max-width: 46rem; margin: 1rem auto; padding: 0 1rem; }
#log { border: 1px solid #ccc; height: 60vh; overflow-y: auto; padding: .5rem; }
.msg { margin: .2rem 0; } .nick { font-weight: bold; } .mine .nick { color: #2a6; }
.time { color: #888; font-size: .8em; margin-right: .4rem; }
form { display: flex; gap: .5rem; margin-top: .5rem; } #text { flex: 1; } #nick { width: 8rem; }
#status { color: #a22; min-height: 1.4em; }
)CSS";

const std::string_view kScript = R"JS("use strict";
let after = 0;
const log = document.getElementById("log");
const status = document.getElementById("status");
const nick = document.getElementById("nick");
nick.value = localStorage.getItem("butter-chat-nick") || "";
function show(m) {
  const div = document.createElement("div");
  div.className = "msg" + (m.mine ? " mine" : "");
  const t = document.createElement("span");
  t.className = "time";
  t.textContent = new Date(m.time).toLocaleTimeString();
  const n = document.createElement("span");
  n.className = "nick";
  n.textContent = m.nick + ": ";
  const x = document.createElement("span");
  x.textContent = m.text;
  div.append(t, n, x);
  log.append(div);
  log.scrollTop = log.scrollHeight;
}
async function poll() {
  try {
    const r = await fetch("/chat/messages?after=" + after);
    if (!r.ok) throw new Error(r.status + " " + await r.text());
    const j = await r.json();
    document.getElementById("node").textContent = j.node.slice(0, 16);
    for (const m of j.messages) { show(m); after = m.seq; }
    status.textContent = "";
  } catch (e) { status.textContent = "cannot reach the node: " + e.message; }
  setTimeout(poll, 1000);
}
document.getElementById("send").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = document.getElementById("text");
  localStorage.setItem("butter-chat-nick", nick.value);
  const body = new URLSearchParams({ text: text.value });
  if (nick.value) body.set("nick", nick.value);
  const r = await fetch("/chat/messages", { method: "POST", body });
  if (r.ok) { text.value = ""; status.textContent = ""; } else { status.textContent = await r.text(); }
});
poll();
)JS";

}  // namespace chat
