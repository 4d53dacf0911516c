// LTI client-side postMessage storage (1EdTech), for browsers that keep no cookies
// in the LMS's frame. The page's data-* attributes say what to do:
// - mode "put" (login initiation): store the state in the platform's storage, then
//   go on to the platform's sign-in URL (also when the platform does not answer: the
//   state cookie may still work);
// - mode "get" (launch without the cookie): read the state back; when it matches,
//   post the launch again from this page (same origin, with a header a cross-site
//   form cannot send) and offer the one-time "open in a new window" link it returns.
(function () {
  "use strict";
  var TIMEOUT_MS = 2000;

  function storageWindow(target) {
    if (target === "_parent" || !window.parent.frames[target]) { return window.parent; }
    return window.parent.frames[target];
  }

  function ask(box, message, done) {
    var id = "lti-" + Math.random().toString(36).slice(2);
    var finished = false;
    function finish(answer) {
      if (finished) { return; }
      finished = true;
      window.removeEventListener("message", listen);
      done(answer);
    }
    function listen(event) {
      var data = event.data || {};
      if (event.origin !== box.dataset.origin || data.message_id !== id) { return; }
      finish(data.error ? null : data);
    }
    window.addEventListener("message", listen);
    message.message_id = id;
    try {
      storageWindow(box.dataset.target).postMessage(message, box.dataset.origin);
    } catch (error) {
      finish(null);
      return;
    }
    window.setTimeout(function () { finish(null); }, TIMEOUT_MS);
  }

  function key(state) { return "lti_state_" + state.slice(-32); }

  function put(box) {
    ask(box, {subject: "lti.put_data", key: key(box.dataset.state), value: box.dataset.state},
      function () { window.location.replace(box.dataset.authUrl); });
  }

  function failed(box) { box.querySelector("[data-lti-failed]").hidden = false; }

  function relaunch(box, stored) {
    var body = new URLSearchParams({id_token: box.dataset.idToken, state: box.dataset.state,
                                    stored_state: stored});
    fetch(box.dataset.launchUrl, {method: "POST", body: body, credentials: "same-origin",
                                  headers: {"X-LTI-Storage": "1"}})
      .then(function (answer) { return answer.ok ? answer.json() : Promise.reject(answer); })
      .then(function (found) {
        var link = box.querySelector("[data-lti-open]");
        link.href = found.open;
        box.querySelector("[data-lti-status]").hidden = true;
        box.querySelector("[data-lti-fallback]").hidden = false;
        link.focus();
      })
      .catch(function () { failed(box); });
  }

  function get(box) {
    ask(box, {subject: "lti.get_data", key: key(box.dataset.state)}, function (answer) {
      if (answer && answer.value === box.dataset.state) { relaunch(box, answer.value); }
      else { failed(box); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("lti-storage");
    if (!box) { return; }
    if (box.dataset.mode === "put") { put(box); } else { get(box); }
  });
})();
