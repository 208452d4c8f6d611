/*
 * Betaalhulp chat widget: plain JavaScript, no build step, nothing from a CDN.
 *
 *   <link rel="stylesheet" href="https://bot.example.nl/widget/betaalhulp-widget.css">
 *   <script src="https://bot.example.nl/widget/betaalhulp-widget.js"
 *           data-server="https://chat.example.nl" defer></script>
 *
 * data-server: where Rasa's widget channel is reached (its /webhooks/widget/... routes).
 * Optional: data-title, data-open="true". Any element with data-betaalhulp-open opens the chat.
 * The signed session token lives in sessionStorage: a reload keeps the conversation, closing
 * the tab ends it on this computer.
 */
(function () {
  "use strict";
  if (window.BetaalhulpWidget) { return; }

  var script = document.currentScript || document.querySelector("script[data-server][src*='betaalhulp-widget']");
  var server = ((script && script.getAttribute("data-server")) || "").replace(/\/+$/, "");
  var base = server + "/webhooks/widget";
  var TITLE = (script && script.getAttribute("data-title")) || "Betaalhulp";
  var STORE = "betaalhulp-widget";
  var POLL_RETRY_MAX = 15000;

  var T = {
    launcher: "Chat met Betaalhulp",
    close: "Chat sluiten",
    intro: "Achter met betalen? Samen zoeken we een oplossing. Typ gerust je vraag.",
    inputLabel: "Je bericht",
    placeholder: "Typ je bericht…",
    send: "Verstuur",
    typing: "Betaalhulp typt…",
    you: "Jij",
    bot: "Betaalhulp",
    offline: "Geen verbinding. We proberen het opnieuw…",
    reconnected: "Verbinding hersteld.",
    sendFailed: "Je bericht is niet verstuurd. Controleer je internet en probeer het nog eens.",
    expired: "Je chat was verlopen. We zijn opnieuw begonnen.",
    tooMany: "Je stuurt veel berichten tegelijk. Wacht even en probeer het opnieuw.",
    error: "Er ging iets mis. Probeer het later nog eens of bel ons.",
    image: "Afbeelding van Betaalhulp (QR-code). Scan hem met je telefoon.",
    openImage: "Open de afbeelding",
    unread: "nieuw bericht"
  };

  var state = load();
  var seen = {};
  var els = {};
  var polling = false;
  var pollGeneration = 0;
  var busy = 0;
  var offline = false;

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { window.sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // -- talking to the server ------------------------------------------------------------------
  // text/plain keeps these CORS "simple requests": no preflight, no custom headers.
  function post(path, body) {
    return fetch(base + path, {
      method: "POST", mode: "cors", credentials: "omit", cache: "no-store",
      headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || ("HTTP " + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function newSession() {
    return post("/session", {}).then(function (data) {
      state = { token: data.token, since: 0, open: state.open };
      seen = {};
      save();
    });
  }

  // Renew a stored token (sliding expiry), or start over when it is no longer valid.
  function ensureSession() {
    if (!state.token) { return newSession(); }
    return post("/session", { token: state.token }).then(function (data) {
      state.token = data.token;
      save();
    }, function (error) {
      if (error.status === 401) {
        els.log.textContent = "";
        return newSession().then(function () { notice(T.expired); });
      }
      throw error;
    });
  }

  function history() {
    els.log.setAttribute("aria-busy", "true");
    return post("/messages", { token: state.token, since: 0, wait: false }).then(function (data) {
      showAll(data.messages);
      advance(data.cursor);
    }).then(function () { els.log.setAttribute("aria-busy", "false"); },
            function (error) { els.log.setAttribute("aria-busy", "false"); throw error; });
  }

  function advance(cursor) {
    if (typeof cursor === "number" && cursor > (state.since || 0)) {
      state.since = cursor;
      save();
    }
  }

  function poll() {
    if (polling) { return; }
    polling = true;
    var generation = ++pollGeneration;
    var delay = 1000;
    (function next() {
      if (generation !== pollGeneration) { return; }
      post("/messages", { token: state.token, since: state.since || 0, wait: true }).then(function (data) {
        if (generation !== pollGeneration) { return; }
        setOffline(false);
        delay = 1000;
        showAll(data.messages);
        advance(data.cursor);
        next();
      }, function (error) {
        if (generation !== pollGeneration) { return; }
        if (error.status === 401) {
          polling = false;
          els.log.textContent = "";
          newSession().then(function () { notice(T.expired); polling = false; poll(); }, function () { retryLater(); });
          return;
        }
        if (!error.status) { setOffline(true); }
        retryLater();
      });
      function retryLater() {
        window.setTimeout(next, delay);
        delay = Math.min(delay * 2, POLL_RETRY_MAX);
      }
    })();
  }

  function restartPoll() {
    pollGeneration++;
    polling = false;
    poll();
  }

  function send(text, label) {
    text = (text || "").trim();
    if (!text) { return; }
    var clientId = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    disableOldButtons();
    show({ id: "u-" + clientId, from: "user", text: label || text, buttons: [], image: null });
    typing(+1);
    var body = { token: state.token, message: text, client_id: clientId };
    if (label) { body.label = label; }
    attempt(body, 0);
  }

  // A lost connection, or a gateway error (the host behind the proxy went down), retries the same
  // client_id, marked as a retry: whichever host takes it answers a repeat from the conversation.
  function attempt(body, tries) {
    post("/message", body).then(function (data) {
      typing(-1);
      setOffline(false);
      showAll(data.messages);
      advance(data.cursor);
    }, function (error) {
      var gateway = error.status === 502 || error.status === 503 || error.status === 504;
      if ((!error.status || gateway) && tries < 3) {
        body.retry = true;
        setOffline(true);
        window.setTimeout(function () { attempt(body, tries + 1); }, 1500 * (tries + 1));
        return;
      }
      typing(-1);
      if (error.status === 401) {
        els.log.textContent = "";
        newSession().then(function () { notice(T.expired); restartPoll(); });
      } else if (error.status === 429) {
        notice(T.tooMany);
      } else if (!error.status) {
        notice(T.sendFailed);
      } else {
        notice(T.error);
      }
    });
  }

  // -- rendering (text only through textContent: nothing the server says becomes HTML) --------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  var URL_RE = /(https?:\/\/[^\s<>"']+)/g;
  function richText(parent, text) {
    String(text).split("\n").forEach(function (line, index) {
      if (index) { parent.appendChild(document.createElement("br")); }
      line.split(URL_RE).forEach(function (part, i) {
        if (!part) { return; }
        if (i % 2 === 1) {
          var trail = part.match(/[.,;:!?)]+$/);
          var href = trail ? part.slice(0, -trail[0].length) : part;
          var link = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, href);
          parent.appendChild(link);
          if (trail) { parent.appendChild(document.createTextNode(trail[0])); }
        } else {
          parent.appendChild(document.createTextNode(part.replace(/\*\*/g, "")));
        }
      });
    });
  }

  function showAll(messages) {
    (messages || []).forEach(show);
  }

  function show(message) {
    if (!message) { return; }
    if (message.id) {
      if (seen[message.id]) { return; }
      seen[message.id] = true;
    }
    var mine = message.from === "user";
    var item = el("div", { "class": "bh-msg " + (mine ? "bh-msg-user" : "bh-msg-bot") });
    item.appendChild(el("span", { "class": "bh-visually-hidden" }, (mine ? T.you : T.bot) + ": "));
    if (message.text) {
      var bubble = el("p", { "class": "bh-bubble" });
      richText(bubble, message.text);
      item.appendChild(bubble);
    }
    if (message.image && /^https?:\/\//.test(message.image)) {
      var figure = el("figure", { "class": "bh-image" });
      var link = el("a", { href: message.image, target: "_blank", rel: "noopener noreferrer" });
      link.appendChild(el("img", { src: message.image, alt: T.image, width: "220", height: "220", loading: "lazy" }));
      figure.appendChild(link);
      figure.appendChild(el("figcaption", { "class": "bh-visually-hidden" }, T.openImage));
      item.appendChild(figure);
    }
    if (message.buttons && message.buttons.length) {
      var group = el("div", { "class": "bh-buttons", role: "group", "aria-label": "Kies een antwoord" });
      message.buttons.forEach(function (button) {
        var b = el("button", { type: "button", "class": "bh-choice" }, button.title);
        b.addEventListener("click", function () {
          send(button.payload, button.title);
          els.input.focus();
        });
        group.appendChild(b);
      });
      item.appendChild(group);
    }
    els.log.appendChild(item);
    els.log.scrollTop = els.log.scrollHeight;
    if (!mine && !isOpen()) { unread(); }
  }

  function disableOldButtons() {
    Array.prototype.forEach.call(els.log.querySelectorAll(".bh-choice"), function (b) { b.disabled = true; });
  }

  function notice(text) {
    var item = el("p", { "class": "bh-notice" }, text);
    els.log.appendChild(item);
    els.log.scrollTop = els.log.scrollHeight;
  }

  function typing(delta) {
    busy = Math.max(0, busy + delta);
    els.typing.hidden = busy === 0;
  }

  function setOffline(value) {
    if (value === offline) { return; }
    offline = value;
    els.status.textContent = value ? T.offline : T.reconnected;
    els.status.className = "bh-status" + (value ? " bh-status-offline" : "");
    if (!value) { window.setTimeout(function () { if (!offline) { els.status.textContent = ""; } }, 4000); }
  }

  function unread() {
    els.badge.hidden = false;
    els.launcher.setAttribute("aria-label", T.launcher + " (" + T.unread + ")");
  }

  // -- the panel -------------------------------------------------------------------------------
  function isOpen() { return !els.panel.hidden; }

  var started = null;
  function start() {
    if (!started) {
      started = ensureSession().then(history).then(poll, function (error) {
        started = null;
        notice(error.status ? T.error : T.offline);
        throw error;
      });
    }
    return started;
  }

  function open() {
    els.panel.hidden = false;
    els.root.classList.add("bh-open");
    els.launcher.setAttribute("aria-expanded", "true");
    els.badge.hidden = true;
    els.launcher.setAttribute("aria-label", T.launcher);
    state.open = true;
    save();
    els.input.focus();
    start().catch(function () { /* shown in the panel */ });
  }

  function close() {
    els.panel.hidden = true;
    els.root.classList.remove("bh-open");
    els.launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    els.launcher.focus();
  }

  // A speech bubble drawn in SVG: no icon font, no emoji font needed.
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "bh-launcher-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function build() {
    var root = els.root = el("div", { "class": "bh-widget", id: "betaalhulp-widget" });
    els.launcher = el("button", { type: "button", "class": "bh-launcher", "aria-expanded": "false",
                                  "aria-controls": "bh-panel", "aria-label": T.launcher });
    els.launcher.appendChild(icon());
    els.launcher.appendChild(el("span", { "class": "bh-launcher-text" }, T.launcher));
    els.badge = el("span", { "class": "bh-badge", "aria-hidden": "true" }, "1");
    els.badge.hidden = true;
    els.launcher.appendChild(els.badge);

    els.panel = el("section", { "class": "bh-panel", id: "bh-panel", role: "dialog", "aria-modal": "false",
                                "aria-labelledby": "bh-title" });
    els.panel.hidden = true;
    var header = el("header", { "class": "bh-header" });
    header.appendChild(el("h2", { id: "bh-title", "class": "bh-title" }, TITLE));
    els.close = el("button", { type: "button", "class": "bh-close", "aria-label": T.close }, "×");
    header.appendChild(els.close);
    els.panel.appendChild(header);

    els.log = el("div", { "class": "bh-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                          "aria-label": "Gesprek met " + TITLE, tabindex: "0" });
    els.panel.appendChild(el("p", { "class": "bh-intro" }, T.intro));
    els.panel.appendChild(els.log);
    els.typing = el("div", { "class": "bh-typing", role: "status" });
    els.typing.appendChild(el("span", { "class": "bh-dot", "aria-hidden": "true" }));
    els.typing.appendChild(el("span", { "class": "bh-dot", "aria-hidden": "true" }));
    els.typing.appendChild(el("span", { "class": "bh-dot", "aria-hidden": "true" }));
    els.typing.appendChild(el("span", { "class": "bh-visually-hidden" }, T.typing));
    els.typing.hidden = true;
    els.panel.appendChild(els.typing);
    els.status = el("p", { "class": "bh-status", role: "status", "aria-live": "polite" });
    els.panel.appendChild(els.status);

    var form = el("form", { "class": "bh-form" });
    form.appendChild(el("label", { "for": "bh-input", "class": "bh-visually-hidden" }, T.inputLabel));
    els.input = el("textarea", { id: "bh-input", "class": "bh-input", rows: "1", maxlength: "2000",
                                 placeholder: T.placeholder, autocomplete: "off" });
    form.appendChild(els.input);
    els.send = el("button", { type: "submit", "class": "bh-send" }, T.send);
    form.appendChild(els.send);
    els.panel.appendChild(form);

    root.appendChild(els.panel);
    root.appendChild(els.launcher);
    document.body.appendChild(root);

    els.launcher.addEventListener("click", function () { return isOpen() ? close() : open(); });
    els.close.addEventListener("click", close);
    els.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = els.input.value;
      els.input.value = "";
      send(text);
    });
    els.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-betaalhulp-open]"), function (trigger) {
      trigger.addEventListener("click", function (event) { event.preventDefault(); open(); });
    });
    // Back online: try at once instead of waiting for the back-off.
    window.addEventListener("online", function () { if (started) { restartPoll(); } });
  }

  function init() {
    build();
    if (state.open) {
      open();
    } else if (state.token) {
      // A conversation is going on in this tab: keep listening for pushes, show a badge.
      start().catch(function () { /* shown when opened */ });
    }
  }

  window.BetaalhulpWidget = { open: function () { open(); }, close: function () { close(); } };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
