// Behaviour of the pages, without inline scripts (the CSP forbids them) and without libraries.
// Log lines are added with textContent only, so nothing from a log is ever parsed as HTML.
"use strict";

const MAX_LINES = 5000;

function appendLine(box, text, cls) {
  const div = document.createElement("div");
  div.className = cls;
  div.textContent = text;
  box.appendChild(div);
}

function startFollow(box, toggle, status) {
  let offset = Number(box.dataset.offset);
  let inode = box.dataset.inode;
  let timer = null;
  async function poll() {
    timer = null;
    if (!toggle.checked) return;
    const url = `${box.dataset.followUrl}?offset=${offset}&inode=${inode}`;
    try {
      const resp = await fetch(url, {headers: {Accept: "application/json"}, cache: "no-store"});
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const data = await resp.json();
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
      if (data.reset) appendLine(box, "--- log rotated or truncated: following the new file ---", "line marker");
      if (data.skipped) appendLine(box, `--- ${data.skipped} bytes skipped (written faster than shown) ---`, "line marker");
      for (const line of data.lines) appendLine(box, line, "line new");
      while (box.childElementCount > MAX_LINES) box.firstElementChild.remove();
      if (atBottom) box.scrollTop = box.scrollHeight;
      offset = data.offset;
      inode = data.inode;
      status.textContent = `following · ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      status.textContent = `follow paused: ${err.message}; retrying`;
    }
    timer = setTimeout(poll, 1000);
  }
  toggle.addEventListener("change", () => {
    status.textContent = toggle.checked ? "following" : "";
    if (toggle.checked && timer === null) poll();
  });
  box.scrollTop = box.scrollHeight;
  if (toggle.checked) poll();
}

function startRefresh(box) {
  async function refresh() {
    try {
      const resp = await fetch(box.dataset.refreshUrl, {cache: "no-store"});
      if (resp.ok) {
        box.innerHTML = await resp.text(); // server-rendered by Jinja, already escaped
        const stamp = document.getElementById("refreshed");
        if (stamp) stamp.textContent = `· ${new Date().toLocaleTimeString()}`;
      }
    } catch (err) { /* keep the last table; the next refresh retries */ }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("log-lines");
  if (box) startFollow(box, document.getElementById("follow"), document.getElementById("follow-status"));
  const cluster = document.getElementById("cluster");
  if (cluster) startRefresh(cluster);
  for (const select of document.querySelectorAll("select.autosubmit")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
