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

  // Interface texts per language, from languages/<code>/widget.yml: the server puts them here when
  // it serves this file (bot/web/widget_routes.py). Dutch is the default; data-language picks another.
  var TEXTS = {"nl": {}};  /* TEXTS */
  var state = load();
  var LANGUAGE = state.language || (script && script.getAttribute("data-language")) || "nl";
  if (!TEXTS[LANGUAGE]) { LANGUAGE = "nl"; }
  var T = TEXTS[LANGUAGE];

  var seen = {};
  var els = {};
  var polling = false;
  var pollGeneration = 0;
  var busy = 0;
  var offline = false;
  var unreadCount = 0;
  var firstUnread = null;

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
          error.messages = data.messages;  // a kind answer from the bot (429: "wait a minute")
          throw error;
        }
        return data;
      });
    });
  }

  function newSession() {
    return post("/session", {}).then(function (data) {
      state = { token: data.token, since: 0, open: state.open, language: state.language };
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
      setHandover(data.handover);
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
        setHandover(data.handover);
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
    els.log.scrollTop = els.log.scrollHeight;
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
      setHandover(data.handover);
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
        if (error.messages && error.messages.length) { showAll(error.messages); } else { notice(T.tooMany); }
      } else if (!error.status) {
        notice(T.sendFailed);
      } else {
        notice(T.error);
      }
    });
  }

  // -- rendering: the message itself is drawn by betaalhulp-widget-view.js ---------------------
  var el = function (tag, attrs, text) { return window.BetaalhulpWidgetView.el(tag, attrs, text); };

  function showAll(messages) {
    (messages || []).forEach(show);
  }

  function show(message) {
    if (!message) { return; }
    if (message.id) {
      if (seen[message.id]) { return; }
      seen[message.id] = true;
    }
    var item = window.BetaalhulpWidgetView.messageNode(message, function (payload, title) {
      send(payload, title);
      els.input.focus();
    });
    els.log.appendChild(item);
    if (message.from !== "user" && !isOpen()) {
      unread(item);
    } else {
      els.log.scrollTop = els.log.scrollHeight;
    }
  }

  // Who has the conversation: a banner while a person has it (waiting for them, or talking).
  function setHandover(handover) {
    if (!handover) { return; }
    var text = !handover.person ? "" : (handover.name ? T.personTalking.replace("{name}", handover.name)
                                                      : T.personReading);
    if (els.person.textContent !== text) { els.person.textContent = text; }
    els.person.hidden = !text;
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

  // While the chat is closed, the badge counts the new messages; opening it shows the first.
  function unread(item) {
    unreadCount += 1;
    if (!firstUnread) {
      firstUnread = item;
      item.insertBefore(el("p", { "class": "bh-unread-mark" }, T.unreadMark), item.firstChild);
    }
    els.badge.textContent = String(unreadCount);
    els.badge.hidden = false;
    els.launcher.setAttribute("aria-label", T.launcher + " (" + unreadCount + " " +
                              (unreadCount === 1 ? T.unread : T.unreadMany) + ")");
  }

  function readAll() {
    var first = firstUnread;
    unreadCount = 0;
    firstUnread = null;
    els.badge.hidden = true;
    els.launcher.setAttribute("aria-label", T.launcher);
    if (first) {
      els.log.scrollTop = Math.max(0, first.offsetTop - els.log.offsetTop - 8);
    } else {
      els.log.scrollTop = els.log.scrollHeight;
    }
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
    readAll();
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

  function build() {
    window.BetaalhulpWidgetView.useTexts(T);
    window.BetaalhulpWidgetView.panel(els, T, TITLE);
    var root = els.root;
    var form = els.form;
    // One button per other language: pressing it asks the bot for that language too (issue 27).
    els.languages = [];
    Object.keys(TEXTS).forEach(function (code) {
      var button = el("button", { type: "button", "class": "bh-language", lang: code, "data-language": code },
                      TEXTS[code].languageName);
      button.hidden = code === LANGUAGE;
      button.addEventListener("click", function () { switchLanguage(code); });
      els.languages.push(button);
      els.close.parentNode.insertBefore(button, els.close);
    });
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

  function relabel() {
    els.launcher.setAttribute("aria-label", T.launcher);
    els.launcher.querySelector(".bh-launcher-text").textContent = T.launcher;
    els.close.setAttribute("aria-label", T.close);
    els.log.setAttribute("aria-label", T.conversation + " " + TITLE);
    els.intro.textContent = T.intro;
    els.typingText.textContent = T.typing;
    els.inputLabel.textContent = T.inputLabel;
    els.input.setAttribute("placeholder", T.placeholder);
    els.send.textContent = T.send;
    els.languages.forEach(function (button) { button.hidden = button.getAttribute("data-language") === LANGUAGE; });
  }

  function switchLanguage(code) {
    if (!TEXTS[code] || code === LANGUAGE) { return; }
    LANGUAGE = code;
    T = TEXTS[code];
    window.BetaalhulpWidgetView.useTexts(T);
    state.language = code;
    save();
    relabel();
    send(T.switchMessage);
  }

  function init() {
    build();
    // A link to the page with #chat (the plan page's "in de chat") opens the chat at once.
    if (state.open || window.location.hash === "#chat") {
      open();
    } else if (state.token) {
      // A conversation is going on in this tab: keep listening for pushes, show a badge.
      start().catch(function () { /* shown when opened */ });
    }
  }

  window.BetaalhulpWidget = { open: function () { open(); }, close: function () { close(); } };
  // The drawing half lives next to this file; the page embeds only this one.
  function whenViewLoaded(then) {
    if (window.BetaalhulpWidgetView) { return then(); }
    var view = document.createElement("script");
    view.src = ((script && script.src) || "/widget/betaalhulp-widget.js").replace(/betaalhulp-widget\.js/,
                                                                                  "betaalhulp-widget-view.js");
    view.onload = then;
    document.head.appendChild(view);
  }
  function ready() { whenViewLoaded(init); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
