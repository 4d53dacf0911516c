/* The console's enhancements. Without this script every console page still works: forms
   post and redirect, criteria are typed as JSON.

   1. Confirmation before a form posts (any console page), a progressive enhancement:
      without JavaScript the form simply submits. Mark a <form> (never a button):

        data-confirm="What will happen."        required: the dialog's sentence
        data-confirm-title="Publish “X”?"       the dialog's heading (default: the button's text)
        data-confirm-button="Publish"           the confirming button (default: the button's text)
        data-confirm-danger                     present: the confirming button is red
        data-confirm-count-text='{"one": "{count} learner will earn this now.",
                                  "other": "{count} learners will earn this now."}'
                                                a counted sentence, one text per CLDR plural
                                                category ({count} is replaced); in templates:
                                                plural_forms(singular, plural)|tojson
        data-confirm-count-selector="input[name=award]:checked"
                                                the count: elements matching it in the document
        data-confirm-count-url="/api/v1/badges/k/publish"
                                                or: POSTed (JSON, with the page's CSRF token)
        data-confirm-count-body='{"dry_run": true}'   its JSON body (default {})
        data-confirm-count-key="would_earn"     the number in its JSON answer (default "count")
        data-confirm-empty="Choose a learner first."
                                                with a count of 0: this sentence, and the
                                                confirming button is disabled

      The dialog is the layout's <dialog id="confirm-dialog"> (its Cancel/Confirm words are
      translated there). Focus moves to Cancel; Esc or Cancel closes it and does nothing;
      focus returns to the button that submitted. Confirming submits the form with that
      button (its name/value go along). window.consoleConfirm(form, submitter) opens it
      from other scripts.

   2. The badge form: the criteria builder (made from the server's widget list, one per
      criterion kind), the live art preview and the "N learners would earn this now" count. */
(function () {
  "use strict";

  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var title = document.getElementById("confirm-title");
  var text = document.getElementById("confirm-text");
  var count = document.getElementById("confirm-count");
  var ok = document.getElementById("confirm-ok");
  var cancel = document.getElementById("confirm-cancel");
  var lang = document.documentElement.lang || "en";
  var plurals = new Intl.PluralRules(lang);
  var numbers = new Intl.NumberFormat(lang, { numberingSystem: "latn" });
  var pending = null, approved = null, seq = 0;

  function words(el) { return el ? (el.value && el.tagName === "INPUT" ? el.value : el.textContent).trim() : ""; }

  function counted(form, n) {
    var forms = {};
    try { forms = JSON.parse(form.getAttribute("data-confirm-count-text") || "{}"); } catch (e) { forms = {}; }
    var chosen = forms[plurals.select(n)] || forms.other;
    return chosen ? chosen.replace("{count}", numbers.format(n)) : numbers.format(n);
  }

  function showCount(form, n) {
    var empty = form.getAttribute("data-confirm-empty");
    if (n === 0 && empty) { count.textContent = empty; ok.disabled = true; return; }
    ok.disabled = false;
    count.textContent = counted(form, n);
  }

  function fetchCount(form, mine) {
    var key = form.getAttribute("data-confirm-count-key") || "count";
    var token = document.querySelector('meta[name="csrf-token"]');
    count.textContent = dialog.getAttribute("data-counting") || "";
    fetch(form.getAttribute("data-confirm-count-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": token ? token.content : "" },
      body: form.getAttribute("data-confirm-count-body") || "{}"
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (mine !== seq) { return; }
        if (data && typeof data[key] === "number") { showCount(form, data[key]); }
        else { count.textContent = dialog.getAttribute("data-count-failed") || ""; }
      })
      .catch(function () { if (mine === seq) { count.textContent = dialog.getAttribute("data-count-failed") || ""; } });
  }

  function open(form, submitter) {
    var button = submitter || form.querySelector('[type="submit"]');
    pending = { form: form, submitter: submitter || null, focus: button || document.activeElement };
    title.textContent = form.getAttribute("data-confirm-title") || words(button);
    text.textContent = form.getAttribute("data-confirm") || "";
    ok.textContent = form.getAttribute("data-confirm-button") || words(button) || ok.getAttribute("data-default");
    ok.classList.toggle("button--danger", form.hasAttribute("data-confirm-danger"));
    ok.disabled = false;
    count.textContent = "";
    var mine = ++seq;
    var selector = form.getAttribute("data-confirm-count-selector");
    if (selector) { showCount(form, document.querySelectorAll(selector).length); }
    else if (form.hasAttribute("data-confirm-count-url")) { fetchCount(form, mine); }
    dialog.returnValue = "";
    dialog.showModal();
    cancel.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm")) { return; }
    if (approved === form) { approved = null; return; }
    event.preventDefault();
    open(form, event.submitter);
  });

  cancel.addEventListener("click", function () { dialog.close("cancel"); });
  ok.addEventListener("click", function () { dialog.close("ok"); });
  dialog.addEventListener("close", function () {
    var was = pending;
    pending = null; seq++;
    if (!was) { return; }
    if (dialog.returnValue === "ok") {
      approved = was.form;  // requestSubmit fires "submit" at once: let that one pass
      if (typeof was.form.requestSubmit === "function") { was.form.requestSubmit(was.submitter); }
      else { was.form.submit(); }
      approved = null;
      return;
    }
    if (was.focus && typeof was.focus.focus === "function") { was.focus.focus(); }
  });

  window.consoleConfirm = open;
}());

(function () {
  "use strict";

  var form = document.getElementById("badge-form");
  if (!form) { return; }
  // The words come from the server's catalogs in the page's language (data-messages); the
  // plural form is picked by CLDR's rules through Intl.PluralRules.
  var WORDS = JSON.parse(form.getAttribute("data-messages") || "{}");
  var plurals = new Intl.PluralRules(WORDS.locale || "en");
  var numbers = new Intl.NumberFormat(WORDS.locale || "en", { numberingSystem: "latn" });
  var TEXT = {
    kind: WORDS.kind,
    add: WORDS.add,
    remove: WORDS.remove,
    choose: WORDS.choose,
    wouldEarn: function (n) {
      var forms = WORDS.wouldEarn || {};
      return (forms[plurals.select(n)] || forms.other || "{count}").replace("{count}", numbers.format(n));
    },
    counting: WORDS.counting,
    invalid: function (problems) { return (WORDS.invalid || "{problems}").replace("{problems}", problems); },
    badJson: WORDS.badJson
  };
  var textarea = document.getElementById("criteria");
  var builder = document.getElementById("builder");
  var count = document.getElementById("would-earn");
  var widgets = JSON.parse(builder.getAttribute("data-widgets"));
  var choices = JSON.parse(builder.getAttribute("data-choices"));
  var byKind = {};
  widgets.forEach(function (w) { byKind[w.kind] = w; });
  var uid = 0;
  var tree = null;

  function kindOf(node) {
    if (!node || typeof node !== "object") { return null; }
    var kinds = Object.keys(node).filter(function (k) { return byKind[k]; });
    return kinds.length ? byKind[kinds[0]] : null;
  }

  function fieldValue(node, widget, field) {
    var holder = widget.nested ? (node[widget.kind] || {}) : node;
    return holder[field.name];
  }

  function setField(node, widget, field, value) {
    if (widget.nested) {
      node[widget.kind] = node[widget.kind] || {};
      if (value === undefined) { delete node[widget.kind][field.name]; } else { node[widget.kind][field.name] = value; }
    } else if (value === undefined) { delete node[field.name]; } else { node[field.name] = value; }
  }

  function blank(widget) {
    var node = {};
    widget.fields.forEach(function (f) {
      if (f.choice === "criteria") { setField(node, widget, f, []); }
      else if (!f.optional) { setField(node, widget, f, f.choice === "count" ? 1 : (f.choice === "ratio" ? 0.9 : "")); }
    });
    if (!widget.nested && node[widget.kind] === undefined) { node[widget.kind] = ""; }
    return node;
  }

  function label(text, forId) {
    var el = document.createElement("label");
    el.textContent = text; el.htmlFor = forId;
    return el;
  }

  function input(node, widget, field) {
    var id = "b" + (++uid), value = fieldValue(node, widget, field), el;
    if (choices[field.choice]) {
      el = document.createElement("select");
      var none = document.createElement("option");
      none.value = ""; none.textContent = TEXT.choose; el.appendChild(none);
      choices[field.choice].forEach(function (pair) {
        var opt = document.createElement("option");
        opt.value = pair[0]; opt.textContent = pair[1]; opt.selected = pair[0] === value;
        el.appendChild(opt);
      });
    } else {
      el = document.createElement("input");
      el.type = "number"; el.min = field.choice === "ratio" ? "0.01" : "1";
      el.step = field.choice === "ratio" ? "0.01" : "1"; el.max = field.choice === "ratio" ? "1" : "";
      el.value = value === undefined ? "" : value;
    }
    el.id = id;
    el.addEventListener("change", function () {
      var raw = el.value;
      var parsed = raw === "" ? (field.optional ? undefined : "") :
        (field.choice === "count" ? parseInt(raw, 10) : (field.choice === "ratio" ? parseFloat(raw) : raw));
      setField(node, widget, field, parsed);
      changed();
    });
    var wrap = document.createElement("div");
    wrap.className = "field";
    wrap.appendChild(label(field.label + (field.optional ? " (optional)" : ""), id));
    wrap.appendChild(el);
    return wrap;
  }

  function render(node, replace) {
    var box = document.createElement("fieldset");
    box.className = "criterion";
    var widget = kindOf(node);
    var legend = document.createElement("legend");
    legend.textContent = widget ? widget.label : TEXT.kind;
    box.appendChild(legend);
    var id = "k" + (++uid), select = document.createElement("select");
    select.id = id;
    widgets.forEach(function (w) {
      var opt = document.createElement("option");
      opt.value = w.kind; opt.textContent = w.label; opt.selected = widget && w.kind === widget.kind;
      select.appendChild(opt);
    });
    select.addEventListener("change", function () { replace(blank(byKind[select.value])); });
    var kindField = document.createElement("div");
    kindField.className = "field";
    kindField.appendChild(label(TEXT.kind, id));
    kindField.appendChild(select);
    box.appendChild(kindField);
    if (widget) { widget.fields.forEach(function (f) { box.appendChild(f.choice === "criteria" ? list(node, widget, f) : input(node, widget, f)); }); }
    return box;
  }

  function list(node, widget, field) {
    var children = fieldValue(node, widget, field);
    if (!Array.isArray(children)) { children = []; setField(node, widget, field, children); }
    var wrap = document.createElement("div");
    wrap.className = "criterion__children";
    children.forEach(function (child, i) {
      var item = render(child, function (fresh) { children[i] = fresh; changed(true); });
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "button button--quiet"; remove.textContent = TEXT.remove;
      remove.addEventListener("click", function () { children.splice(i, 1); changed(true); });
      item.appendChild(remove);
      wrap.appendChild(item);
    });
    var add = document.createElement("button");
    add.type = "button"; add.className = "button button--secondary"; add.textContent = TEXT.add;
    add.addEventListener("click", function () { children.push(blank(byKind.module_complete || widgets[0])); changed(true); });
    wrap.appendChild(add);
    return wrap;
  }

  function draw() {
    builder.textContent = "";
    builder.appendChild(render(tree, function (fresh) { tree = fresh; changed(true); }));
  }

  function changed(redraw) {
    textarea.value = JSON.stringify(tree, null, 2);
    if (redraw) { draw(); }
    schedulePreview();
  }

  textarea.addEventListener("change", function () {
    try { tree = JSON.parse(textarea.value); draw(); schedulePreview(); }
    catch (e) { count.textContent = TEXT.badJson; }
  });

  /* The live count: a dry run of this definition on the server. */
  var timer = null, seq = 0;
  function schedulePreview() { clearTimeout(timer); timer = setTimeout(preview, 400); }

  function preview() {
    var mine = ++seq;
    var body = {
      key: document.getElementById("key").value || "draft-preview",
      title: document.getElementById("title").value || "Draft",
      description: document.getElementById("description").value,
      criteria: tree
    };
    count.textContent = TEXT.counting;
    fetch(count.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return [r.status, data]; }); })
      .then(function (result) {
        if (mine !== seq) { return; }
        var data = result[1];
        if (result[0] === 200) { count.textContent = TEXT.wouldEarn(data.would_earn); return; }
        var errors = data.errors || {};
        count.textContent = TEXT.invalid(Object.keys(errors).map(function (k) { return k + ": " + errors[k].join("; "); }).join(" · "));
      }).catch(function () { if (mine === seq) { count.textContent = ""; } });
  }

  /* The art preview follows the design fields; an upload shows the chosen file. */
  var art = document.getElementById("art-preview");
  function drawArt() {
    var kind = form.querySelector('input[name="image_kind"]:checked');
    if (!kind || kind.value !== "design") { return; }
    var design = document.getElementById("design").value;
    art.src = art.getAttribute("data-base").replace("DESIGN", design) +
      "?color=" + document.getElementById("color").value.slice(1) + "&glyph=" + document.getElementById("glyph").value;
  }
  ["design", "color", "glyph"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", function () { document.getElementById("kind-design").checked = true; drawArt(); });
  });
  document.getElementById("kind-design").addEventListener("change", drawArt);
  document.getElementById("upload").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    if (file) { document.getElementById("kind-upload").checked = true; art.src = URL.createObjectURL(file); }
  });

  try { tree = JSON.parse(textarea.value); } catch (e) { tree = {all: []}; }
  if (!kindOf(tree)) { tree = {all: []}; }
  builder.hidden = false;
  draw();
  if (kindOf(tree) && JSON.stringify(tree) !== JSON.stringify({all: []})) { schedulePreview(); }
}());
