// Live celebrations: one EventSource per page, toasts in a polite live region.
(function () {
  "use strict";
  var STORE = "achievements:last-id";
  var seen = new Set();

  function lastId() { return Number(localStorage.getItem(STORE) || 0); }
  function remember(id) { if (id > lastId()) localStorage.setItem(STORE, String(id)); }

  function toast(award) {
    var region = document.getElementById("toasts");
    var item = document.createElement("div");
    item.className = "toast";
    var title = document.createElement("strong");
    title.textContent = "Achievement unlocked: " + award.title;
    var body = document.createElement("p");
    body.textContent = award.description;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.append(title, body, close);
    region.append(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  function addToList(award) {
    var list = document.getElementById("achievement-list");
    if (!list || list.querySelector('[data-award-id="' + award.id + '"]')) return;
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.className = "award";
    li.dataset.awardId = award.id;
    li.dataset.type = award.type;
    var strong = document.createElement("strong");
    strong.textContent = award.title;
    var desc = document.createElement("span");
    desc.className = "desc";
    desc.textContent = award.description;
    li.append(strong, desc);
    list.prepend(li);
  }

  function connect() {
    var url = "/api/v1/achievements/stream";
    var source = new EventSource(url + (lastId() ? "?after=" + lastId() : ""));
    source.addEventListener("achievement", function (e) {
      var award = JSON.parse(e.data);
      if (seen.has(award.id)) return;
      seen.add(award.id);
      remember(award.id);
      toast(award);
      addToList(award);
    });
    document.documentElement.dataset.live = "connecting";
    source.onopen = function () { document.documentElement.dataset.live = "open"; };
  }

  function enhanceForms() {
    document.querySelectorAll("form.js-complete").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = form.querySelector("button");
        button.disabled = true;
        fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          var done = document.createElement("span");
          done.className = "done";
          done.textContent = "Completed";
          form.replaceWith(done);
        }).catch(function () { button.disabled = false; });
      });
    });
  }

  connect();
  enhanceForms();
})();
