// Staff console behaviour. Served from /static so the CSP can forbid inline scripts.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function appendLine(list, line) {
  const item = document.createElement("li");
  item.className = "line line-" + line.role;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = line.who;
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = line.time;
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = line.text; // never innerHTML: customer text is untrusted
  item.append(who, " ", time, text);
  if (line.delivery_label) {
    const delivery = document.createElement("div");
    delivery.className = "delivery delivery-" + line.delivery;
    delivery.textContent = line.delivery_label;
    item.append(delivery);
  }
  // Follow the conversation only when the reader is at the end already (not while reading back).
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.appendChild(item);
  if (atEnd) list.scrollTop = list.scrollHeight;
}

function followTranscript() {
  const list = document.getElementById("transcript");
  if (!list || !window.EventSource) return;
  const status = document.getElementById("live-status");
  const url = list.dataset.eventsUrl + "?after=" + encodeURIComponent(list.dataset.after || "0");
  const source = new EventSource(url);
  source.addEventListener("line", (event) => appendLine(list, JSON.parse(event.data)));
  source.addEventListener("status", (event) => {
    const paused = JSON.parse(event.data).paused;
    if (status) status.textContent = paused ? "De bot is gepauzeerd: jij antwoordt." : "De bot praat met de klant.";
  });
  source.addEventListener("unavailable", () => {
    if (status) status.textContent = "De bot is even niet bereikbaar. We proberen het opnieuw.";
  });
  source.addEventListener("logout", () => { source.close(); window.location.href = "/login"; });
}

function cannedReplies() {
  const select = document.getElementById("canned");
  const text = document.getElementById("reply-text");
  if (!select || !text) return;
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    if (option && option.dataset.text) text.value = option.dataset.text;
    text.focus();
  });
}

function replyWithoutReload() {
  const form = document.getElementById("reply-form");
  if (!form) return;
  const status = document.getElementById("reply-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    status.textContent = "Versturen...";
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: {"X-CSRF-Token": csrfToken(), "Accept": "application/json"},
      });
      if (response.ok) {
        const body = await response.json();
        form.reset();
        status.textContent = body.delivery_label ? "Antwoord: " + body.delivery_label + "." : "Verstuurd.";
      } else {
        status.textContent = await response.text();
      }
    } catch (error) {
      status.textContent = "Versturen lukte niet. Probeer het opnieuw.";
    } finally {
      button.disabled = false;
    }
  });
}

// The queue refreshes itself (issue 26): new handovers appear without a reload, and the tab's
// title carries the count, so a staff member working in another tab sees it.
const QUEUE_REFRESH_MS = 5000;

function liveQueue() {
  const table = document.getElementById("queue");
  if (!table) return;
  const body = table.querySelector("tbody");
  const count = document.getElementById("queue-count");
  async function refresh() {
    try {
      const response = await fetch(table.dataset.rowsUrl, {credentials: "same-origin",
                                                           headers: {"Accept": "application/json"}});
      if (response.status === 401) { window.location.href = "/login"; return; }
      if (response.ok) {
        const data = await response.json();
        body.innerHTML = data.html; // rendered and escaped by the server's template
        document.title = "(" + data.count + ") Wachtrij - Betaalhulp console";
        if (count) count.textContent = data.count + (data.count === 1 ? " zaak" : " zaken");
      }
    } catch (error) { /* offline for a moment: the next refresh tries again */ }
    window.setTimeout(refresh, QUEUE_REFRESH_MS);
  }
  window.setTimeout(refresh, QUEUE_REFRESH_MS);
}

// The case opens at the newest message; Ctrl+Enter (or Cmd+Enter) sends the reply.
function caseView() {
  const list = document.getElementById("transcript");
  if (list) list.scrollTop = list.scrollHeight;
  const text = document.getElementById("reply-text");
  const form = document.getElementById("reply-form");
  if (!text || !form) return;
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  followTranscript();
  cannedReplies();
  replyWithoutReload();
  liveQueue();
  caseView();
});
