/* Questline widget: <script src="{api}/widget.js" data-pid="…" data-user-token="wt_…"></script> mounts a
   person's quests, balance, rank and referral link where the tag stands, inside a shadow root (no style
   leaks either way). Plain JS, no build step. It reads only what the person's widget token may read, and
   builds every text with textContent: nothing an API answers is ever parsed as HTML. */
(function () {
  "use strict";

  var TEXTS = {
    en: {
      title: "Quests", preview: "Preview of the draft campaign: nothing here is live",
      balance: "Your points", xp: "XP", ref_xp: "from referrals", ugc_xp: "from content",
      level: "Level", streak: "Streak", days: "days", rank: "Rank", of: "of",
      season: "Season", quests: "Quests", other: "Other actions", bonus: "bonus",
      done: "Done", optional: "Optional", locked: "Locked", locked_by: "Locked: complete {deps} first",
      locked_level: "Locked: reach level {level}", next: "Available again {when}", progress: "Progress",
      leaderboard: "Leaderboard", you: "you", no_board: "Not on the leaderboard yet",
      board_preview: "A preview has no leaderboard", referral: "Invite friends",
      referral_hint: "Share your link: you earn points when friends complete tasks.",
      link: "Your referral link", copy: "Copy link", copied: "Link copied", copy_failed: "Select the link and copy it",
      invite: "Have an invite code?", code: "Invite code", send: "Use code", sent: "Code sent",
      no_taker: "This page does not accept invite codes", refused: "The code was not accepted",
      error: "Could not load the widget", retry: "Retry", updated: "Updated", completions: "done {n}×"
    },
    es: {
      title: "Misiones", preview: "Vista previa del borrador: nada de esto es real",
      balance: "Tus puntos", xp: "XP", ref_xp: "por referidos", ugc_xp: "por contenido",
      level: "Nivel", streak: "Racha", days: "días", rank: "Posición", of: "de",
      season: "Temporada", quests: "Misiones", other: "Otras acciones", bonus: "extra",
      done: "Hecho", optional: "Opcional", locked: "Bloqueada", locked_by: "Bloqueada: completa antes {deps}",
      locked_level: "Bloqueada: alcanza el nivel {level}", next: "Disponible de nuevo {when}", progress: "Progreso",
      leaderboard: "Clasificación", you: "tú", no_board: "Aún no estás en la clasificación",
      board_preview: "Una vista previa no tiene clasificación", referral: "Invita a tus amigos",
      referral_hint: "Comparte tu enlace: ganas puntos cuando tus amigos completan tareas.",
      link: "Tu enlace de invitación", copy: "Copiar enlace", copied: "Enlace copiado",
      copy_failed: "Selecciona el enlace y cópialo", invite: "¿Tienes un código de invitación?",
      code: "Código de invitación", send: "Usar código", sent: "Código enviado",
      no_taker: "Esta página no acepta códigos de invitación", refused: "El código no fue aceptado",
      error: "No se pudo cargar el widget", retry: "Reintentar", updated: "Actualizado", completions: "hecho {n}×"
    }
  };

  var COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
  var FONT = /^[A-Za-z0-9 ,'"_-]{1,100}$/;
  var THEME_COLORS = {
    primaryColor: "--ql-primary", secondaryColor: "--ql-secondary", accentColor: "--ql-accent",
    backgroundColor: "--ql-bg", textColor: "--ql-text", borderColor: "--ql-border", buttonColor: "--ql-button"
  };

  /* Only https URLs (never javascript:, data:, or a relative path that would reach the host page). */
  function safeUrl(value) {
    if (typeof value !== "string" || value.length > 2048) return null;
    try {
      var url = new URL(value);
      return url.protocol === "https:" && !url.username && !url.password ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /* A theme as the entity stored it -> CSS custom properties and a logo, keeping only values known safe. */
  function sanitizeTheme(theme) {
    var out = { vars: {}, logo: null, mode: null };
    if (!theme || typeof theme !== "object") return out;
    Object.keys(THEME_COLORS).forEach(function (name) {
      var value = theme[name];
      if (typeof value === "string" && COLOR.test(value)) out.vars[THEME_COLORS[name]] = value;
    });
    if (typeof theme.fontFamily === "string" && FONT.test(theme.fontFamily)) {
      out.vars["--ql-font"] = theme.fontFamily;
    }
    var radius = theme.borderRadius;
    if (typeof radius === "number" && radius % 1 === 0 && radius >= 0 && radius <= 64) {
      out.vars["--ql-radius"] = radius + "px";
    }
    if (theme.mode === "light" || theme.mode === "dark") out.mode = theme.mode;
    out.logo = safeUrl(theme.logoUrl);
    return out;
  }

  function pickLanguage(asked, documentLang, navigatorLangs) {
    var wanted = [asked, documentLang].concat(navigatorLangs || []);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (TEXTS[code]) return code;
    }
    return "en";
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  var exported = { sanitizeTheme: sanitizeTheme, safeUrl: safeUrl, pickLanguage: pickLanguage, texts: TEXTS };
  if (typeof globalThis !== "undefined") globalThis.QuestlineWidget = exported;
  if (typeof document === "undefined" || !document.currentScript) return; // loaded to be tested

  // --- configuration ----------------------------------------------------------------------------------

  var script = document.currentScript;
  var api = script.src.replace(/\/widget\.js(?:[?#].*)?$/, "");
  var data = script.dataset;
  var query = new URLSearchParams(window.location.search);
  var preview = data.preview !== undefined; // the /widget page: settings come from its query string
  function setting(attribute, parameter) {
    return preview ? query.get(parameter) : data[attribute];
  }
  var config = {
    pid: setting("pid", "pid"),
    token: setting("userToken", "user_token"),
    env: setting("env", "env") === "dev" ? "dev" : null,
    entity: setting("entityId", "entity"),
    refUrl: setting("refUrl", "ref_url"),
    poll: Math.max(2, Number(setting("poll", "poll")) || 15) * 1000
  };
  var lang = pickLanguage(setting("lang", "lang"), document.documentElement.lang, navigator.languages);
  var t = TEXTS[lang];

  // --- DOM helpers ----------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "class") node.className = value;
      else node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var host = el("div", { class: "questline-widget" });
  script.parentNode.insertBefore(host, script);
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: api + "/widget.css" }));
  var frame = el("section", { class: "ql", lang: lang, "aria-labelledby": "ql-title" });
  root.appendChild(frame);
  var status = el("p", { class: "ql-status", role: "status", "aria-live": "polite" });

  // --- reading the API (ETags: an unchanged answer is a 304 without a body) ----------------------------

  var tags = {};
  var answers = {};
  function get(path, params) {
    var search = new URLSearchParams(params);
    if (config.env) search.set("env", config.env);
    var url = api + path + "?" + search.toString();
    var headers = { Authorization: "Bearer " + config.token };
    if (tags[url]) headers["If-None-Match"] = tags[url];
    return fetch(url, { headers: headers, credentials: "omit", cache: "no-store" }).then(function (response) {
      if (response.status === 304) return { data: answers[url], changed: false };
      return response.json().then(function (body) {
        if (!response.ok || !body || body.success === false) {
          var error = new Error((body && body.error) || "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        var tag = response.headers.get("ETag");
        if (tag) tags[url] = tag;
        answers[url] = body.data;
        return { data: body.data, changed: true };
      });
    });
  }
  function optional(promise) {
    return promise.then(function (answer) { return answer; }, function () { return { data: null, changed: true }; });
  }

  var state = { progress: null, balance: null, board: null, points: null, refId: null, theme: null };

  function loadTheme() {
    if (!config.entity || !/^[A-Za-z0-9_.:-]{1,128}$/.test(config.entity)) return Promise.resolve(null);
    return fetch(api + "/api/entities/" + encodeURIComponent(config.entity) + "/theme", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { return body && body.data; }, function () { return null; });
  }

  function loadAll() {
    var pid = { pid: config.pid };
    return Promise.all([
      get("/user/progress", pid),
      get("/user/balance", pid),
      config.env ? Promise.resolve({ data: null }) : optional(get("/leaderboard", { pid: config.pid, around: 3 })),
      config.env ? Promise.resolve({ data: null }) : optional(get("/campaign/points", pid)),
      state.refId ? Promise.resolve({ data: { ref_id: state.refId } }) : optional(get("/user/ref_id", pid))
    ]).then(function (found) {
      state.progress = found[0].data;
      state.balance = found[1].data;
      state.board = found[2].data;
      state.points = found[3].data;
      state.refId = found[4].data && found[4].data.ref_id;
      render();
    });
  }

  /* One request per tick: the balance. When it changed (a 200 rather than a 304), everything is read
     again; a hidden page does not poll, and reads everything when it is shown again. */
  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(tick, config.poll);
  }
  function tick() {
    if (document.hidden) return schedule();
    get("/user/balance", { pid: config.pid })
      .then(function (answer) {
        if (answer.changed) return loadAll().then(function () { status.textContent = t.updated; });
      })
      .catch(function () {})
      .then(schedule);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) loadAll().catch(function () {});
  });

  // --- rendering ----------------------------------------------------------------------------------------

  function applyTheme(theme) {
    var safe = sanitizeTheme(theme);
    Object.keys(safe.vars).forEach(function (name) { frame.style.setProperty(name, safe.vars[name]); });
    if (safe.mode) frame.setAttribute("data-mode", safe.mode);
    return safe;
  }

  function bar(value, target, label) {
    var max = Math.max(Number(target) || 1, 1);
    var now = Math.min(Math.max(Number(value) || 0, 0), max);
    var meter = el("div", {
      class: "ql-bar", role: "progressbar", "aria-label": label,
      "aria-valuemin": 0, "aria-valuemax": max, "aria-valuenow": now
    }, [el("span", { class: "ql-fill" })]);
    meter.firstChild.style.setProperty("width", Math.round((now / max) * 100) + "%");
    return meter;
  }

  function when(epochSeconds) {
    var date = new Date(Number(epochSeconds) * 1000);
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(date);
    } catch (e) {
      return date.toISOString();
    }
  }

  function actionItem(action, names, level) {
    var progress = action.progress || {};
    var counted = action.type === "events_count" || action.type === "api_call" || action.type === "referral";
    var current = counted ? progress.count : progress.value;
    var reason = null;
    if (action.done && action.next_available_at) reason = format(t.next, { when: when(action.next_available_at) });
    if (action.locked) {
      var deps = (action.locked_by || action.deps || []).map(function (id) { return names[id] || id; });
      if (action.locked_reason) reason = String(action.locked_reason);
      else if (deps.length) reason = format(t.locked_by, { deps: deps.join(", ") });
      else if (action.min_level !== undefined && level !== undefined && level < action.min_level) {
        reason = format(t.locked_level, { level: action.min_level });
      } else reason = t.locked;
    }
    var badges = el("span", { class: "ql-badges" }, [
      el("span", { class: "ql-xp", text: "+" + (action.xp || 0) + " " + t.xp }),
      action.is_optional ? el("span", { class: "ql-tag", text: t.optional }) : null,
      action.done ? el("span", { class: "ql-tag ql-done", text: t.done }) : null,
      action.locked ? el("span", { class: "ql-tag ql-locked", text: t.locked }) : null
    ]);
    var state = action.locked ? "locked" : action.done ? "done" : "open";
    return el("li", { class: "ql-action ql-" + state, "data-action": action.id }, [
      el("div", { class: "ql-row" }, [el("span", { class: "ql-name", text: action.name || action.id }), badges]),
      bar(current, progress.target, (action.name || action.id) + ": " + t.progress),
      el("p", { class: "ql-meta" }, [
        el("span", { text: (current || 0) + " / " + (progress.target || 1) }),
        action.completions > 1 ? el("span", { text: " · " + format(t.completions, { n: action.completions }) }) : null
      ]),
      reason ? el("p", { class: "ql-reason", text: reason }) : null
    ]);
  }

  function questsSection() {
    var progress = state.progress || { actions: [], quests: [] };
    var byId = {};
    var names = {};
    (progress.actions || []).forEach(function (a) { byId[a.id] = a; names[a.id] = a.name || a.id; });
    var level = state.balance && state.balance.level;
    var grouped = {};
    var section = el("section", { class: "ql-card ql-wide", "aria-labelledby": "ql-quests" }, [
      el("h3", { id: "ql-quests", text: t.quests })
    ]);
    (progress.quests || []).forEach(function (quest) {
      var list = el("ul", { class: "ql-actions" });
      (quest.actions || []).forEach(function (id) {
        if (byId[id]) { grouped[id] = true; list.appendChild(actionItem(byId[id], names, level)); }
      });
      section.appendChild(el("div", { class: "ql-quest", "data-quest": quest.id }, [
        el("h4", {}, [
          quest.name || quest.id,
          quest.xp ? el("span", { class: "ql-xp", text: " +" + quest.xp + " " + t.xp + " " + t.bonus }) : null,
          quest.done ? el("span", { class: "ql-tag ql-done", text: t.done }) : null
        ]),
        list
      ]));
    });
    var rest = (progress.actions || []).filter(function (a) { return !grouped[a.id]; });
    if (rest.length) {
      var list = el("ul", { class: "ql-actions" });
      rest.forEach(function (a) { list.appendChild(actionItem(a, names, level)); });
      section.appendChild(el("div", { class: "ql-quest" }, [el("h4", { text: t.other }), list]));
    }
    return section;
  }

  function balanceSection() {
    var b = state.balance || {};
    var total = (b.xp || 0) + (b.ref_xp || 0) + (b.ugc_xp || 0);
    var facts = el("dl", { class: "ql-facts" });
    function fact(name, value, key) {
      if (value === undefined || value === null) return;
      facts.appendChild(el("div", { "data-fact": key }, [el("dt", { text: name }), el("dd", { text: value })]));
    }
    fact(t.xp, b.xp || 0, "xp");
    fact(t.ref_xp, b.ref_xp || 0, "ref_xp");
    if (b.ugc_xp) fact(t.ugc_xp, b.ugc_xp, "ugc_xp");
    fact(t.level, b.level, "level");
    if (b.streak !== undefined && b.streak !== null) fact(t.streak, b.streak + " " + t.days, "streak");
    if (b.rank) fact(t.rank, b.rank, "rank");
    var section = el("section", { class: "ql-card ql-balance", "aria-labelledby": "ql-balance" }, [
      el("h3", { id: "ql-balance", text: t.balance }),
      el("p", { class: "ql-total", "data-total": total, text: total + " " + t.xp }),
      facts
    ]);
    var p = state.points;
    if (p && p.season) {
      section.appendChild(el("p", { class: "ql-season", text: t.season + ": " + p.season.name }));
      section.appendChild(bar(p.season_points, p.season.max_xp, t.season + " " + p.season.name));
    }
    return section;
  }

  function boardSection() {
    var section = el("section", { class: "ql-card", "aria-labelledby": "ql-board" }, [
      el("h3", { id: "ql-board", text: t.leaderboard })
    ]);
    var board = state.board;
    if (config.env) return section.appendChild(el("p", { text: t.board_preview })), section;
    if (!board || !board.rank) return section.appendChild(el("p", { text: t.no_board })), section;
    section.appendChild(el("p", { class: "ql-rank", text: t.rank + " " + board.rank + " " + t.of + " " + board.total }));
    var list = el("ol", { class: "ql-board" });
    (board.leaderboard || []).forEach(function (entry) {
      var me = entry.rank === board.rank;
      var user = entry.user || {};
      var avatar = safeUrl(user.avatar);
      list.appendChild(el("li", { class: me ? "ql-me" : null, "aria-current": me ? "true" : null }, [
        el("span", { class: "ql-pos", text: "#" + entry.rank }),
        avatar ? el("img", { src: avatar, alt: "", width: 20, height: 20, referrerpolicy: "no-referrer" }) : null,
        el("span", { class: "ql-name", text: (user.name || "—") + (me ? " (" + t.you + ")" : "") }),
        el("span", { class: "ql-score", text: entry.score + " " + t.xp })
      ]));
    });
    section.appendChild(list);
    return section;
  }

  function referralLink() {
    if (!state.refId) return null;
    var template = safeUrl(config.refUrl) || safeUrl(window.location.href) || window.location.href;
    if (template.indexOf("{ref_id}") >= 0 || template.indexOf("%7Bref_id%7D") >= 0) {
      return template.replace(/\{ref_id\}|%7Bref_id%7D/, encodeURIComponent(state.refId));
    }
    var url = new URL(template);
    ["user_token", "pid", "env", "entity", "poll", "lang", "ref_url"].forEach(function (p) { url.searchParams.delete(p); });
    url.searchParams.set("ref", state.refId);
    return url.href;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error("no clipboard"));
  }

  function referralSection() {
    var link = referralLink();
    var section = el("section", { class: "ql-card ql-wide", "aria-labelledby": "ql-referral" }, [
      el("h3", { id: "ql-referral", text: t.referral }),
      el("p", { class: "ql-meta", text: t.referral_hint })
    ]);
    if (link) {
      var field = el("input", { id: "ql-link", type: "text", readonly: "readonly", value: link, class: "ql-input" });
      var said = el("span", { id: "ql-copied", class: "ql-said", role: "status", "aria-live": "polite" });
      var button = el("button", { id: "ql-copy", type: "button", class: "ql-button", text: t.copy });
      button.addEventListener("click", function () {
        copy(link).then(function () { said.textContent = t.copied; }, function () {
          field.focus();
          field.select();
          said.textContent = t.copy_failed;
        });
      });
      section.appendChild(el("label", { for: "ql-link", class: "ql-label", text: t.link }));
      section.appendChild(el("div", { class: "ql-inline" }, [field, button]));
      section.appendChild(said);
    }
    section.appendChild(inviteForm());
    return section;
  }

  /* The widget token only reads: an invite code goes to the page that embeds the widget, as a
     `questline:invite-code` event ({pid, code, respond}); the page's server applies it with its secret key
     (POST /code or POST /user/ref_id) and calls respond(true | false | "message"). */
  var inviteSaid = ""; /* what the form last said: kept when a reload re-renders the widget */
  function inviteForm() {
    var input = el("input", { id: "ql-code", name: "code", type: "text", maxlength: 64, autocomplete: "off", class: "ql-input", required: "required" });
    var said = el("span", { id: "ql-invited", class: "ql-said", role: "status", "aria-live": "polite" });
    said.textContent = inviteSaid;
    var form = el("form", { class: "ql-invite", novalidate: "novalidate" }, [
      el("label", { for: "ql-code", class: "ql-label", text: t.invite }),
      el("div", { class: "ql-inline" }, [input, el("button", { id: "ql-send", type: "submit", class: "ql-button", text: t.send })]),
      said
    ]);
    input.setAttribute("aria-label", t.code);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value.trim();
      if (!code) return input.focus();
      var answered = false;
      var ask = new CustomEvent("questline:invite-code", {
        bubbles: true, composed: true, cancelable: true,
        detail: {
          pid: config.pid, code: code,
          respond: function (result) {
            answered = true;
            inviteSaid = result === true ? t.sent : typeof result === "string" ? result : t.refused;
            said.textContent = inviteSaid;
            if (result === true) loadAll().catch(function () {});
          }
        }
      });
      var taken = !host.dispatchEvent(ask);
      if (!taken && !answered) said.textContent = inviteSaid = t.no_taker;
    });
    return form;
  }

  var safeTheme = { logo: null };
  function render() {
    var focused = root.activeElement && root.activeElement.id;
    var header = el("header", { class: "ql-header" }, [
      safeTheme.logo ? el("img", { class: "ql-logo", src: safeTheme.logo, alt: "", referrerpolicy: "no-referrer" }) : null,
      el("h2", { id: "ql-title", text: (state.points && state.points.name) || t.title })
    ]);
    var children = [header];
    if (config.env) children.push(el("p", { class: "ql-preview", text: t.preview }));
    children.push(balanceSection(), boardSection(), questsSection(), referralSection(), status);
    var keptCode = root.getElementById && root.getElementById("ql-code");
    var code = keptCode ? keptCode.value : "";
    frame.textContent = "";
    children.forEach(function (child) { frame.appendChild(child); });
    var fresh = root.getElementById("ql-code");
    if (fresh) fresh.value = code;
    if (focused && root.getElementById(focused)) root.getElementById(focused).focus();
  }

  function fail(error) {
    frame.textContent = "";
    var retry = el("button", { type: "button", class: "ql-button", text: t.retry });
    retry.addEventListener("click", start);
    frame.appendChild(el("div", { class: "ql-card ql-error", role: "alert" }, [
      el("p", { text: t.error + (error && error.message ? ": " + error.message : "") }), retry
    ]));
  }

  function start() {
    if (!config.pid || !config.token) return fail(new Error("data-pid and data-user-token are required"));
    loadTheme()
      .then(function (theme) { safeTheme = applyTheme(theme); return loadAll(); })
      .then(schedule, fail);
  }
  start();
})();
