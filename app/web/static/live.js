// Live celebrations for every page of a logged-in learner. Dependency-free.
//
// One EventSource per page. The resume point (last award id celebrated, and the last
// standing change — a revocation or restore — shown) is kept
// per tab in sessionStorage, so an award made by a form POST that redirects is
// replayed by the server and celebrated on the next page. Awards arriving close
// together are coalesced into one toast; each celebration is announced once
// through the polite #announcer live region; toasts never take focus.
(function () {
  "use strict";
  var body = document.body;
  var userId = body.dataset.userId;
  if (!userId || !window.EventSource) return;

  var RESUME_KEY = "achievements:resume:" + userId;
  var CARRY_KEY = "achievements:carry:" + userId;
  var FRESH_MS = 10 * 60 * 1000;
  var TOAST_MS = 8000;
  var COALESCE_MS = 400;
  var HEARD_MS = 1500;
  var STREAM_URL = "/api/v1/achievements/stream";
  var motion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  var state = { source: null, lastId: 0, lastChange: 0, seen: new Set(), changes: new Set(),
                pending: [], flushTimer: 0, leaving: false, retry: 0 };
  var api = window.achievementsLive = { received: [], celebrated: [], announcements: [],
                                        changes: [] };

  // ---- words --------------------------------------------------------------
  // The page's language: texts from the server's catalogs (JSON in a data attribute, no
  // inline script: the toasts region's data-messages), plural forms picked by CLDR's
  // rules through Intl.PluralRules.
  var words = readWords();
  var plurals = new Intl.PluralRules(words.locale);
  var numbers = new Intl.NumberFormat(words.locale, { numberingSystem: "latn" });
  function readWords() {
    var region = document.getElementById("toasts");
    try { return JSON.parse(region.dataset.messages); } catch (e) { return { locale: "en" }; }
  }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }
  function counted(forms, count, values) {
    var text = (forms || {})[plurals.select(count)] || (forms || {}).other || "{count}";
    return fill(text, Object.assign({ count: numbers.format(count) }, values || {}));
  }

  // ---- resume point -------------------------------------------------------
  function storedResume() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "null");
      if (saved && Date.now() - saved.at < FRESH_MS) {
        return { id: Number(saved.id), change: Number(saved.change || 0) };
      }
    } catch (e) { /* storage disabled: start from the page */ }
    return null;
  }
  function remember(id, change) {
    if (id > state.lastId) state.lastId = id;
    if (change > state.lastChange) state.lastChange = change;
    try {
      sessionStorage.setItem(RESUME_KEY, JSON.stringify({ id: state.lastId,
        change: state.lastChange, at: Date.now() }));
    } catch (e) { /* ignore */ }
  }
  // The server's position format: "<award id>" or "<award id>.<change id>".
  function cursor() {
    return state.lastChange ? state.lastId + "." + state.lastChange : String(state.lastId);
  }

  // ---- stream -------------------------------------------------------------
  function connect() {
    if (state.leaving) return;
    var source = new EventSource(STREAM_URL + "?after=" + cursor());
    state.source = source;
    setLive("connecting");
    source.onopen = function () { state.retry = 0; setLive("open"); };
    source.addEventListener("achievement", onAward);
    source.addEventListener("revoked", onStanding);
    source.addEventListener("restored", onStanding);
    source.onerror = function () {
      setLive("connecting");  // the browser retries by itself, sending Last-Event-ID
      if (source.readyState === EventSource.CLOSED) reconnectLater();
    };
  }
  function reconnectLater() {
    disconnect();
    var delay = Math.min(30000, 1000 * Math.pow(2, state.retry++));
    setTimeout(connect, delay);
  }
  function disconnect() {
    if (state.source) state.source.close();
    state.source = null;
    setLive("closed");
  }
  function setLive(value) { document.documentElement.dataset.live = value; }

  function onAward(event) {
    var award = JSON.parse(event.data);
    api.received.push(award.id);
    if (state.leaving || state.seen.has(award.id)) return;
    state.seen.add(award.id);
    remember(award.id, 0);
    state.pending.push(award);
    if (!state.flushTimer) state.flushTimer = setTimeout(flush, COALESCE_MS);
  }
  function flush() {
    var awards = state.pending.splice(0);
    state.flushTimer = 0;
    if (!awards.length) return;
    celebrate(awards, { remaining: Number(body.dataset.toastMs) || TOAST_MS, announce: true });
    awards.forEach(addToList);
    refreshMilestones();
  }
  function refreshMilestones() { refreshPanel("milestones"); }

  // ---- revocations and restores -------------------------------------------
  // Shown whether or not the page is leaving (they are not celebrations, nothing is
  // replayed for the next page to show): the badge leaves or rejoins the lists, the
  // counters follow, and a calm notice says what happened and why.
  function onStanding(event) {
    var change = JSON.parse(event.data);
    api.changes.push({ id: change.id, kind: change.kind, award: change.achievement_id });
    if (state.changes.has(change.id)) return;
    state.changes.add(change.id);
    remember(0, change.id);
    if (change.kind === "revoked") removeFromLists(change.achievement_id, change.achievement);
    else restoreToList(change.achievement);
    refreshMilestones();
    notice(change);
  }
  function removeFromLists(awardId, award) {
    var removed = false;
    document.querySelectorAll('[data-award-id="' + awardId + '"]').forEach(function (card) {
      var list = card.closest("#achievement-list, #history-list");
      if (!list) return;
      if (list.dataset.showRevoked) { card.classList.add("award-card--revoked"); return; }
      card.remove();
      removed = true;
    });
    if (!removed) return;
    bump('[data-type-count="' + award.type + '"]', -1);
    bump("[data-total]", -1);
  }
  // A restored badge rejoins the list; one still shown as revoked ("Show revoked") is
  // drawn again from its fresh card.
  function restoreToList(award) {
    document.querySelectorAll('.award-card--revoked[data-award-id="' + award.id + '"]')
      .forEach(function (card) { card.remove(); });
    addToList(award);
  }
  function notice(change) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var revoked = change.kind === "revoked";
    var title = change.achievement.title;
    var toast = el("div", "toast toast--calm toast--notice toast--" + change.kind);
    toast.dataset.changeId = change.id;
    toast.setAttribute("role", "group");
    var text = el("div");
    var heading = el("p", "toast__title", title);
    heading.id = "toast-change-" + change.id;
    text.append(el("p", "toast__eyebrow", revoked ? words.revoked : words.restored));
    text.append(heading);
    var sentence = revoked
      ? fill(words.revokedSentence, { title: title, reason: change.reason || "" })
      : fill(words.restoredSentence, { title: title });
    var detail = el("div", "toast__text");
    detail.append(el("span", "", sentence + " "));
    var link = el("a");
    link.href = "/achievements/" + change.achievement_id;
    link.textContent = words.viewBadge;
    detail.append(link);
    text.append(detail);
    toast.setAttribute("aria-labelledby", heading.id);
    var art = el("div", "toast__art");
    art.append(badgeImg(change.achievement));
    toast.append(art, text);
    var ms = (Number(body.dataset.toastMs) || TOAST_MS) * 2;  // a reason takes longer to read
    addCloseAndTimer(toast, ms);
    toast._awards = [];
    region.append(toast);
    keepClear();
    startTimer(toast, ms);
    announce(sentence, toast);
  }
  // Swap a panel for its fragment (data-refresh-url); on failure it catches up on reload.
  function refreshPanel(id, then) {
    var panel = document.getElementById(id);
    if (!panel) return;
    fetch(panel.dataset.refreshUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { panel.innerHTML = html; if (then) then(panel); })
      .catch(function () { /* caught up on the next page load */ });
  }

  // ---- toasts -------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function badgeImg(award) {
    var img = el("img", "badge");
    img.src = award.badge_url;
    img.alt = "";
    img.width = 64;
    img.height = 64;
    img.onerror = function () { img.onerror = null; img.src = "/static/badges/" + award.type + ".svg"; };
    return img;
  }
  function confetti() {
    var box = el("span", "confetti");
    box.setAttribute("aria-hidden", "true");
    var colours = ["#fbbf24", "#60a5fa", "#34d399", "#f472b6", "#a78bfa"];
    for (var i = 0; i < 14; i++) {
      var bit = el("i");
      var angle = (Math.PI * 2 * i) / 14;
      bit.style.background = colours[i % colours.length];
      bit.style.setProperty("--dx", Math.round(Math.cos(angle) * 70) + "px");
      bit.style.setProperty("--dy", Math.round(Math.sin(angle) * 55) + "px");
      box.append(bit);
    }
    return box;
  }
  function summaryText(awards) {
    if (awards.length === 1) {
      return fill(words.unlockedSentence, { title: awards[0].title,
                                            description: awards[0].description || "" }).trim();
    }
    var titles = awards.map(function (a) { return a.title; });
    return counted(words.manySentence, awards.length,
                   { titles: titles.join(words.listSeparator || ", ") });
  }
  function toastContent(toast, awards) {
    var art = el("div", "toast__art" + (awards.length > 1 ? " toast__art--many" : ""));
    awards.slice(0, 3).forEach(function (a) { art.append(badgeImg(a)); });
    var text = el("div");
    var title = el("p", "toast__title");
    title.id = "toast-title-" + awards[0].id;
    var detail = el("div", "toast__text");
    var link = el("a");
    if (awards.length === 1) {
      text.append(el("p", "toast__eyebrow", words.unlocked));
      title.textContent = awards[0].title;
      detail.append(el("span", "", (awards[0].description || "") + " "));
      link.href = "/achievements/" + awards[0].id;
      link.textContent = words.viewBadge;
    } else {
      text.append(el("p", "toast__eyebrow", words.congratulations));
      title.textContent = counted(words.many, awards.length);
      var list = el("ul");
      awards.slice(0, 4).forEach(function (a) { list.append(el("li", "", a.title)); });
      if (awards.length > 4) list.append(el("li", "", counted(words.more, awards.length - 4)));
      detail.append(list);
      link.href = "/achievements";
      link.textContent = words.seeAll;
    }
    detail.append(link);
    text.append(title, detail);
    toast.setAttribute("aria-labelledby", title.id);
    toast.append(art, text);
    if (!toast.classList.contains("toast--calm")) art.append(confetti());
  }
  function celebrate(awards, options) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var toast = el("div", "toast");
    var calm = motion && motion.matches;
    if (calm) toast.classList.add("toast--calm");
    toast.dataset.motion = calm ? "reduced" : "full";
    toast.dataset.awardIds = awards.map(function (a) { return a.id; }).join(",");
    toast.setAttribute("role", "group");
    toastContent(toast, awards);
    addCloseAndTimer(toast, options.remaining);
    toast._awards = awards;
    region.append(toast);
    keepClear();
    startTimer(toast, options.remaining);
    awards.forEach(function (a) { api.celebrated.push(a.id); });
    if (options.announce) announce(summaryText(awards), toast);
  }
  function announce(message, toast) {
    var region = document.getElementById("announcer");
    if (!region) return;
    toast._announcedAt = Date.now();
    api.announcements.push(message);
    region.textContent = "";
    setTimeout(function () { region.textContent = message; }, 60);
  }

  // Toasts never cover the page's controls: when the stack (bottom corner) would hide a
  // visible button of the page, it moves to the top corner (unless that hides one too).
  // Checked again on scroll and resize while a toast is open.
  function keepClear() {
    var region = document.getElementById("toasts");
    if (!region) return;
    region.classList.remove("toasts--top");
    if (!coversControl(region)) return;
    region.classList.add("toasts--top");
    if (coversControl(region)) region.classList.remove("toasts--top");
  }
  function coversControl(region) {
    var boxes = Array.prototype.map.call(region.querySelectorAll(".toast"), function (t) {
      return t.getBoundingClientRect();
    });
    var controls = document.querySelectorAll("main button, main .button, main input[type=submit]");
    return Array.prototype.some.call(controls, function (control) {
      var r = control.getBoundingClientRect();
      if (!r.width || !r.height) return false;
      return boxes.some(function (b) {
        return r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom;
      });
    });
  }
  window.addEventListener("scroll", function () {
    if (document.querySelector(".toast:not(.is-leaving)")) keepClear();
  }, { passive: true });
  window.addEventListener("resize", function () {
    if (document.querySelector(".toast:not(.is-leaving)")) keepClear();
  });

  // Auto-dismiss, paused while the pointer is over the toast or focus is inside it.
  function startTimer(toast, ms) {
    toast._remaining = ms;
    toast._hover = false;
    resume(toast);
    toast.addEventListener("mouseenter", function () { toast._hover = true; pause(toast); });
    toast.addEventListener("mouseleave", function () { toast._hover = false; resume(toast); });
    toast.addEventListener("focusin", function () { pause(toast); });
    toast.addEventListener("focusout", function (e) {
      if (!toast.contains(e.relatedTarget)) resume(toast);
    });
  }
  function pause(toast) {
    if (!toast._timer) return;
    clearTimeout(toast._timer);
    toast._timer = 0;
    toast._remaining -= Date.now() - toast._startedAt;
    toast.classList.add("is-paused");
  }
  function resume(toast) {
    if (toast._timer || toast._hover || toast.contains(document.activeElement)) return;
    toast._startedAt = Date.now();
    toast._timer = setTimeout(function () { dismiss(toast); }, Math.max(toast._remaining, 0));
    toast.classList.remove("is-paused");
  }
  // Every toast's dismiss button and countdown bar (its CSS animation lasts ``ms``).
  function addCloseAndTimer(toast, ms) {
    var close = el("button", "toast__close");
    close.type = "button";
    close.setAttribute("aria-label", words.dismiss);
    close.append(el("span", "", "\u00d7"));
    close.firstChild.setAttribute("aria-hidden", "true");
    close.addEventListener("click", function () { dismiss(toast); });
    var timer = el("span", "toast__timer");
    timer.style.setProperty("--toast-ms", ms + "ms");
    toast.append(close, timer);
  }

  function dismiss(toast) {
    if (!toast.isConnected || toast.classList.contains("is-leaving")) return;
    clearTimeout(toast._timer);
    var hadFocus = toast.contains(document.activeElement);
    toast.classList.add("is-leaving");
    setTimeout(function () { toast.remove(); }, 250);
    if (hadFocus) returnFocus(toast);
  }
  function returnFocus(leaving) {
    var others = Array.prototype.filter.call(document.querySelectorAll(".toast:not(.is-leaving)"),
      function (t) { return t !== leaving; });
    var next = others.length ? others[others.length - 1].querySelector(".toast__close") : null;
    (next || document.getElementById("main")).focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelectorAll(".toast:not(.is-leaving)");
    if (open.length) dismiss(open[open.length - 1]);
  });

  // Toasts still on screen (or just received) follow the learner to the next page.
  function carryOver() {
    var carried = [];
    document.querySelectorAll(".toast:not(.is-leaving)").forEach(function (t) {
      pause(t);
      var heard = t._announcedAt && Date.now() - t._announcedAt > HEARD_MS;
      carried.push({ awards: t._awards, remaining: t._remaining, heard: !!heard });
    });
    if (state.pending.length) {
      carried.push({ awards: state.pending.splice(0), remaining: TOAST_MS, heard: false });
    }
    try { sessionStorage.setItem(CARRY_KEY, JSON.stringify(carried)); } catch (e) { /* ignore */ }
  }
  function restoreCarried() {
    var carried = [];
    // Inside an LMS's frame a browser blocking third-party storage throws on any access.
    try {
      carried = JSON.parse(sessionStorage.getItem(CARRY_KEY) || "[]");
      sessionStorage.removeItem(CARRY_KEY);
    } catch (e) { /* storage disabled: nothing carried */ }
    carried.forEach(function (c) {
      if (!c.awards || !c.awards.length || c.remaining < 1000) return;
      c.awards.forEach(function (a) { state.seen.add(a.id); });
      // Announce again only if the previous page was left before it could be heard.
      celebrate(c.awards, { remaining: c.remaining, announce: !c.heard });
    });
  }

  // ---- the dashboard list -------------------------------------------------
  // The dashboard's list, or a history page showing the newest awards (data-live), of
  // this award's type when the page is filtered by type.
  function liveList(award) {
    var list = document.getElementById("achievement-list");
    if (list) return { list: list, size: "" };
    list = document.getElementById("history-list");
    if (!list || !list.dataset.live) return null;
    if (list.dataset.liveType && list.dataset.liveType !== award.type) return null;
    return { list: list, size: "?size=md" };
  }
  function addToList(award) {
    var target = liveList(award);
    if (!target) return;
    var list = target.list;
    if (list.querySelector('[data-award-id="' + award.id + '"]')) return;
    fetch("/achievements/" + award.id + "/card" + target.size, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        if (list.querySelector('[data-award-id="' + award.id + '"]')) return;
        var holder = document.createElement("ol");
        holder.innerHTML = html.trim();
        var card = holder.firstElementChild;
        card.classList.add("is-new");
        var before = Array.prototype.find.call(list.children, function (li) {
          return Number(li.dataset.awardId) < award.id;
        });
        list.insertBefore(card, before || null);
        ["achievement-empty", "history-empty"].forEach(function (id) {
          var empty = document.getElementById(id);
          if (empty) empty.remove();
        });
        bump('[data-type-count="' + award.type + '"]');
        bump("[data-total]");
      })
      .catch(function () { /* the card appears on the next page load */ });
  }
  // Counters keep their value in data-count and show it as the page's locale writes it.
  function bump(selector, by) {
    var node = document.querySelector(selector);
    if (!node) return;
    var value = Math.max(0, Number(node.dataset.count || node.textContent || 0) + (by || 1));
    node.dataset.count = String(value);
    node.textContent = numbers.format(value);
  }

  // ---- forms --------------------------------------------------------------
  function enhanceCompleteForms(root) {
    (root || document).querySelectorAll("form.js-complete").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = form.querySelector("button");
        if (button.getAttribute("aria-disabled") === "true") return;
        button.setAttribute("aria-disabled", "true");
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          button.textContent = words.completed + " \u2713";
          bump("[data-course-completed]");
          if (form.closest("#continue")) {  // the card moves on to the next module
            refreshPanel("continue", function (panel) {
              enhanceCompleteForms(panel);
              var next = panel.querySelector("button");
              if (next) next.focus();
            });
          }
        }).catch(function () {
          button.removeAttribute("aria-disabled");
          form.submit();  // fall back to the plain form post
        });
      });
    });
  }
  // A real navigation (form post, link) is leaving: stop consuming, so awards it
  // makes are replayed to the next page instead of flashing on this one.
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    state.leaving = true;
    disconnect();
    setTimeout(function () { state.leaving = false; connect(); }, 10000);
  });
  window.addEventListener("pagehide", function () {
    state.leaving = true;
    disconnect();
    carryOver();
  });
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;  // back/forward cache: reconnect where we left off
    state.leaving = false;
    connect();
  });

  var resumeFrom = storedResume();
  if (resumeFrom !== null) remember(resumeFrom.id, resumeFrom.change);
  else remember(Number(body.dataset.latestId || 0), Number(body.dataset.latestChange || 0));
  restoreCarried();
  enhanceCompleteForms();
  connect();
})();
