/*
 * Betaalhulp chat widget, the drawing half: how one message looks. Loaded by
 * betaalhulp-widget.js from the same folder (a page embeds only that one script).
 *
 * Nothing the server says becomes HTML: text goes in through textContent, links only as href.
 * A web address in a message becomes a button-like link under the text (a payment link is one
 * tap, not a raw address over three lines); who speaks is shown above the bubble, and a staff
 * member's messages have a style of their own, with their first name.
 */
(function () {
  "use strict";
  if (window.BetaalhulpWidgetView) { return; }

  // The message texts of the customer's language (languages/<code>/widget.yml), set by the
  // widget before it draws anything and again when the customer switches language.
  var T = {};

  function useTexts(texts) {
    T = texts;
    // What a link in a message leads to, by the kind of page (its path).
    T.links = [{ path: /\/pay\//, title: texts.linkPay }, { path: /\/plan\//, title: texts.linkPlan }];
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function linkTitle(href) {
    for (var i = 0; i < T.links.length; i++) {
      if (T.links[i].path.test(href)) { return T.links[i].title; }
    }
    return T.otherLink;
  }

  var URL_RE = /(https?:\/\/[^\s<>"']+)/g;

  // The text without its web addresses, and the addresses (each once, in order).
  function splitLinks(text) {
    var hrefs = [];
    var rest = String(text).replace(URL_RE, function (part) {
      var trail = part.match(/[.,;:!?)]+$/);
      var href = trail ? part.slice(0, -trail[0].length) : part;
      if (hrefs.indexOf(href) < 0) { hrefs.push(href); }
      return trail ? trail[0].replace(/^[.,;:]/, "") : "";
    });
    rest = rest.replace(/[ \t]+\n/g, "\n").replace(/[ \t]{2,}/g, " ").replace(/\s+([.,;:!?])/g, "$1").trim();
    return { text: rest, hrefs: hrefs };
  }

  function plainText(parent, text) {
    String(text).split("\n").forEach(function (line, index) {
      if (index) { parent.appendChild(document.createElement("br")); }
      parent.appendChild(document.createTextNode(line.replace(/\*\*/g, "")));
    });
  }

  function linkButtons(hrefs) {
    var group = el("p", { "class": "bh-links" });
    hrefs.forEach(function (href) {
      var link = el("a", { href: href, target: "_blank", rel: "noopener noreferrer", "class": "bh-link-button" },
                    linkTitle(href));
      group.appendChild(link);
    });
    return group;
  }

  // One message as the customer sees it. `onChoice(payload, title)` answers a button.
  function messageNode(message, onChoice) {
    var from = message.from === "user" ? "user" : (message.from === "staff" ? "staff" : "bot");
    var item = el("div", { "class": "bh-msg bh-msg-" + from });
    if (from === "staff") {
      var who = el("p", { "class": "bh-sender" });
      who.appendChild(el("span", { "class": "bh-sender-name" }, message.name || T.staffRole));
      who.appendChild(document.createTextNode(" · " + T.staffRole));
      item.appendChild(who);
    } else {
      item.appendChild(el("span", { "class": "bh-visually-hidden" }, (from === "user" ? T.you : T.bot) + ": "));
    }
    var parts = message.text ? splitLinks(message.text) : { text: "", hrefs: [] };
    if (parts.text) {
      var bubble = el("p", { "class": "bh-bubble" });
      plainText(bubble, parts.text);
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
    if (parts.hrefs.length) { item.appendChild(linkButtons(parts.hrefs)); }
    if (message.buttons && message.buttons.length) {
      var group = el("div", { "class": "bh-buttons", role: "group", "aria-label": T.choices });
      message.buttons.forEach(function (button) {
        var b = el("button", { type: "button", "class": "bh-choice" }, button.title);
        b.addEventListener("click", function () { onChoice(button.payload, button.title); });
        group.appendChild(b);
      });
      item.appendChild(group);
    }
    return item;
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

  // The launcher and the chat panel, into `els` (the caller binds the behaviour); `T` holds the
  // widget's labels, `title` the panel's heading.
  function panel(els, T, title) {
    els.root = el("div", { "class": "bh-widget", id: "betaalhulp-widget" });
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
    var header = el("div", { "class": "bh-header" });
    header.appendChild(el("h2", { id: "bh-title", "class": "bh-title" }, title));
    els.close = el("button", { type: "button", "class": "bh-close", "aria-label": T.close }, "×");
    header.appendChild(els.close);
    els.panel.appendChild(header);

    els.log = el("div", { "class": "bh-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                          "aria-label": T.conversation + " " + title, tabindex: "0" });
    els.intro = el("p", { "class": "bh-intro" }, T.intro);
    els.panel.appendChild(els.intro);
    els.person = el("p", { "class": "bh-person", role: "status" });
    els.person.hidden = true;
    els.panel.appendChild(els.person);
    els.panel.appendChild(els.log);
    els.typing = el("div", { "class": "bh-typing", role: "status" });
    for (var i = 0; i < 3; i++) { els.typing.appendChild(el("span", { "class": "bh-dot", "aria-hidden": "true" })); }
    els.typingText = el("span", { "class": "bh-visually-hidden" }, T.typing);
    els.typing.appendChild(els.typingText);
    els.typing.hidden = true;
    els.panel.appendChild(els.typing);
    els.status = el("p", { "class": "bh-status", role: "status", "aria-live": "polite" });
    els.panel.appendChild(els.status);

    els.form = el("form", { "class": "bh-form" });
    els.inputLabel = el("label", { "for": "bh-input", "class": "bh-visually-hidden" }, T.inputLabel);
    els.form.appendChild(els.inputLabel);
    els.input = el("textarea", { id: "bh-input", "class": "bh-input", rows: "1", maxlength: "2000",
                                 placeholder: T.placeholder, autocomplete: "off" });
    els.form.appendChild(els.input);
    els.send = el("button", { type: "submit", "class": "bh-send" }, T.send);
    els.form.appendChild(els.send);
    els.panel.appendChild(els.form);
  }

  window.BetaalhulpWidgetView = { panel: panel, el: el, useTexts: useTexts, messageNode: messageNode, icon: icon, splitLinks: splitLinks };
})();
