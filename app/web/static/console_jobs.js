/* A console job's page (console/job.html): follows the job's progress without reloading.
   Polls the JSON at #job[data-url] every second until the job is done or failed, moving the
   <progress> bar and the status line (a polite live region). Without this script the page
   has a Refresh link. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = document.getElementById("job-progress");
  var status = document.getElementById("job-status");
  var labels = JSON.parse(box.getAttribute("data-labels") || "{}");
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function say(state) {
    var text = labels[state.status] || "";
    text = text.replace("{done}", numbers.format(state.done))
               .replace("{total}", numbers.format(state.total))
               .replace("{error}", state.error || "");
    if (status.textContent.trim() !== text) { status.textContent = text; }
  }

  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin",
                                         headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 3000); return; }
        bar.max = Math.max(state.total, 1);
        bar.value = state.done;
        say(state);
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();  // the finished page carries the result in words
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  var state = box.getAttribute("data-status");
  if (state === "queued" || state === "running") { setTimeout(poll, 500); }
})();
