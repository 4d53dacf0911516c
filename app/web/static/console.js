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
      from other scripts. A submit button may carry the same data-confirm* attributes: when
      it submits, its own are used (a form with two actions, e.g. revoke and restore).

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
    // A submit button marked data-confirm speaks for itself (a form with two actions).
    var own = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    pending = { form: form, submitter: submitter || null, focus: button || document.activeElement };
    title.textContent = own.getAttribute("data-confirm-title") || words(button);
    text.textContent = own.getAttribute("data-confirm") || "";
    ok.textContent = own.getAttribute("data-confirm-button") || words(button) || ok.getAttribute("data-default");
    ok.classList.toggle("button--danger", own.hasAttribute("data-confirm-danger"));
    ok.disabled = false;
    count.textContent = "";
    var mine = ++seq;
    var selector = own.getAttribute("data-confirm-count-selector");
    if (selector) { showCount(own, document.querySelectorAll(selector).length); }
    else if (own.hasAttribute("data-confirm-count-url")) { fetchCount(own, mine); }
    dialog.returnValue = "";
    dialog.showModal();
    cancel.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, by = event.submitter;
    var marked = form.hasAttribute && (form.hasAttribute("data-confirm") ||
      (by && by.hasAttribute("data-confirm")));
    if (!marked) { return; }
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
  function fill(text, values) {
    return Object.keys(values).reduce(function (t, k) { return t.replace("{" + k + "}", values[k]); }, text || "");
  }
  var TEXT = {
    wouldEarn: function (n) {
      var forms = WORDS.wouldEarn || {};
      return fill(forms[plurals.select(n)] || forms.other || "{count}", { count: numbers.format(n) });
    },
    size: function (bytes) {
      return bytes >= 1048576 ? fill(WORDS.mb, { n: numbers.format(Math.round(bytes / 104857.6) / 10) })
        : fill(WORDS.kb, { n: numbers.format(Math.max(1, Math.round(bytes / 1024))) });
    }
  };
  var textarea = document.getElementById("criteria");
  var builder = document.getElementById("builder");
  var count = document.getElementById("would-earn");
  var widgets = JSON.parse(builder.getAttribute("data-widgets"));
  var choices = JSON.parse(builder.getAttribute("data-choices"));
  var byKind = {};
  widgets.forEach(function (w) { byKind[w.kind] = w; });
  var tree = null;
  var fields = {};        // path of a field ("criteria.all[0].module_complete") -> its parts
  var focusAfter = null;  // the id to focus once the builder is drawn again

  /* --- the tree ---------------------------------------------------------------------- */

  function kindOf(node) {
    if (!node || typeof node !== "object" || Array.isArray(node)) { return null; }
    var kinds = Object.keys(node).filter(function (k) { return byKind[k]; });
    return kinds.length === 1 ? byKind[kinds[0]] : null;
  }

  function fieldValue(node, widget, field) {
    var holder = widget.nested ? (node[widget.kind] || {}) : node;
    return holder[field.name];
  }

  function setField(node, widget, field, value) {
    var holder = node;
    if (widget.nested) { holder = node[widget.kind] = node[widget.kind] || {}; }
    if (value === undefined) { delete holder[field.name]; } else { holder[field.name] = value; }
  }

  function fieldPath(path, widget, field) {
    return path + "." + (widget.nested ? widget.kind + "." : "") + field.name;
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

  /* What a field still lacks, in the author's words (its hint), or "" when it is complete. */
  function lacking(node, widget, field) {
    var value = fieldValue(node, widget, field);
    if (field.optional && (value === undefined || value === "")) { return ""; }
    var ok;
    if (field.choice === "criteria") { ok = Array.isArray(value) && value.length > 0; }
    else if (field.choice === "count") {
      ok = typeof value === "number" && value % 1 === 0 && value >= 1;
      var siblings = widget.fields.filter(function (f) { return f.choice === "criteria"; })[0];
      if (ok && siblings) { ok = value <= Math.max(1, (fieldValue(node, widget, siblings) || []).length); }
    } else if (field.choice === "ratio") { ok = typeof value === "number" && value > 0 && value <= 1; }
    else { ok = typeof value === "string" && value !== ""; }
    return ok ? "" : (field.hint || WORDS.incompleteField || "");
  }

  /* --- drawing ----------------------------------------------------------------------- */

  function idFor(path, suffix) { return "b-" + path.replace(/[^A-Za-z0-9_]+/g, "-") + (suffix || ""); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function hintFor(path, control) {
    var hint = el("p", "field-hint");
    hint.id = idFor(path, "-hint");
    hint.hidden = true;
    control.setAttribute("aria-describedby", hint.id);
    return hint;
  }

  function control(node, widget, field, path) {
    var value = fieldValue(node, widget, field), input;
    if (choices[field.choice]) {
      input = el("select");
      var none = el("option", "", WORDS.choose);
      none.value = "";
      input.appendChild(none);
      choices[field.choice].forEach(function (pair) {
        var opt = el("option", "", pair[1]);
        opt.value = pair[0]; opt.selected = pair[0] === value;
        input.appendChild(opt);
      });
    } else {
      input = el("input");
      input.type = "number"; input.inputMode = field.choice === "ratio" ? "decimal" : "numeric";
      input.min = field.choice === "ratio" ? "0.01" : "1";
      input.step = field.choice === "ratio" ? "0.01" : "1";
      if (field.choice === "ratio") { input.max = "1"; }
      input.value = value === undefined ? "" : value;
    }
    input.id = idFor(path);
    function update() {
      var raw = input.value;
      var parsed = raw === "" ? (field.optional ? undefined : "") :
        (field.choice === "count" ? Number(raw) : (field.choice === "ratio" ? parseFloat(raw) : raw));
      setField(node, widget, field, parsed);
      changed(false);
    }
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", update);
    var wrap = el("div", "field");
    var label = el("label", "", field.label + (field.optional ? " " + WORDS.optional : ""));
    label.htmlFor = input.id;
    wrap.appendChild(label);
    wrap.appendChild(input);
    var hint = hintFor(path, input);
    wrap.appendChild(hint);
    fields[path] = { node: node, widget: widget, field: field, control: input, hint: hint };
    return wrap;
  }

  function render(node, path, replace, remove) {
    var widget = kindOf(node);
    var box = el("fieldset", "criterion" + (remove ? "" : " criterion--root"));
    box.appendChild(el("legend", "", widget ? widget.label : WORDS.kind));
    var head = el("div", "criterion__head");
    var select = el("select");
    select.id = idFor(path, "-kind");
    widgets.forEach(function (w) {
      var opt = el("option", "", w.label);
      opt.value = w.kind; opt.selected = widget && w.kind === widget.kind;
      select.appendChild(opt);
    });
    select.addEventListener("change", function () {
      focusAfter = select.id;
      replace(blank(byKind[select.value]));
    });
    var kindField = el("div", "field");
    var label = el("label", "", WORDS.kind);
    label.htmlFor = select.id;
    kindField.appendChild(label);
    kindField.appendChild(select);
    head.appendChild(kindField);
    if (remove) {
      var button = el("button", "button button--danger-quiet button--small");
      button.type = "button";
      button.appendChild(document.createTextNode(WORDS.remove));
      button.appendChild(el("span", "visually-hidden", " " + (widget ? widget.label : WORDS.kind)));
      button.addEventListener("click", remove);
      head.appendChild(button);
    }
    box.appendChild(head);
    if (widget) {
      widget.fields.forEach(function (f) {
        var at = fieldPath(path, widget, f);
        box.appendChild(f.choice === "criteria" ? list(node, widget, f, at) : control(node, widget, f, at));
      });
    }
    return box;
  }

  function list(node, widget, field, path) {
    var children = fieldValue(node, widget, field);
    if (!Array.isArray(children)) { children = []; setField(node, widget, field, children); }
    var wrap = el("div", "criterion__children");
    var add = el("button", "button button--secondary button--small", WORDS.add);
    add.type = "button";
    add.id = idFor(path, "-add");
    children.forEach(function (child, i) {
      wrap.appendChild(render(child, path + "[" + i + "]",
        function (fresh) { children[i] = fresh; changed(true); },
        function () { children.splice(i, 1); focusAfter = add.id; changed(true); }));
    });
    add.addEventListener("click", function () {
      children.push(blank(byKind.module_complete || widgets[0]));
      focusAfter = idFor(path + "[" + (children.length - 1) + "]", "-kind");
      changed(true);
    });
    wrap.appendChild(add);
    var hint = hintFor(path, add);
    wrap.appendChild(hint);
    fields[path] = { node: node, widget: widget, field: field, control: add, hint: hint };
    return wrap;
  }

  function draw() {
    fields = {};
    builder.textContent = "";
    builder.appendChild(render(tree, "criteria", function (fresh) { tree = fresh; changed(true); }, null));
    if (focusAfter && document.getElementById(focusAfter)) { document.getElementById(focusAfter).focus(); }
    focusAfter = null;
  }

  /* Show each field's hint while it lacks something (or the server found it wrong). */
  function showHints(serverErrors) {
    var missing = 0;
    Object.keys(fields).forEach(function (path) {
      var f = fields[path];
      var text = lacking(f.node, f.widget, f.field) ||
        (serverErrors && serverErrors[path] ? (f.field.hint || serverErrors[path].join("; ")) : "");
      if (text) { missing++; }
      f.hint.textContent = text;
      f.hint.hidden = !text;
      if (f.control.tagName !== "BUTTON") {
        if (text) { f.control.setAttribute("aria-invalid", "true"); } else { f.control.removeAttribute("aria-invalid"); }
      }
    });
    return missing;
  }

  function changed(redraw) {
    textarea.value = JSON.stringify(tree, null, 2);
    if (redraw) { draw(); }
    showHints(null);
    schedulePreview();
  }

  textarea.addEventListener("change", function () {
    var parsed;
    try { parsed = JSON.parse(textarea.value); } catch (e) { count.textContent = WORDS.badJson; return; }
    tree = kindOf(parsed) ? parsed : tree;
    draw();
    showHints(null);
    schedulePreview();
  });

  /* --- the live count: a dry run of this definition on the server, once the author
     pauses (debounced), and only when every field is filled in. ---------------------- */
  var timer = null, seq = 0;
  function schedulePreview() {
    clearTimeout(timer);
    seq++;
    if (showHints(null) > 0) { count.textContent = WORDS.incomplete; return; }
    timer = setTimeout(preview, 500);
  }

  function previewKey() {
    var key = document.getElementById("key");
    return key && /^[a-z0-9][a-z0-9_.\-]{0,79}$/.test(key.value) ? key.value : "draft-preview";
  }

  function preview() {
    var mine = ++seq;
    var body = {
      key: previewKey(),
      title: document.getElementById("title").value || "Draft",
      description: document.getElementById("description").value,
      criteria: tree
    };
    count.textContent = WORDS.counting;
    fetch(count.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (mine !== seq) { return; }
        if (!data) { count.textContent = ""; return; }
        if (data.valid) { showHints(null); count.textContent = TEXT.wouldEarn(data.would_earn); return; }
        var errors = {}, others = [];
        Object.keys(data.errors || {}).forEach(function (path) {
          if (fields[path]) { errors[path] = data.errors[path]; }
          else if (path === "criteria" || path.indexOf("criteria.") === 0) { others.push(data.errors[path].join("; ")); }
        });
        showHints(errors);
        count.textContent = others.length ? fill(WORDS.invalid, { problems: others.join(" · ") })
          : (Object.keys(errors).length ? WORDS.incomplete : "");
      }).catch(function () { if (mine === seq) { count.textContent = ""; } });
  }

  /* --- the image: the preview follows the design fields; an upload is checked here first
     (type and size), so a refused file never costs the author what they typed. --------- */
  var art = document.getElementById("art-preview");
  var upload = document.getElementById("upload");
  var uploadProblem = document.getElementById("upload-problem");
  var kept = { src: art.src, kind: form.querySelector('input[name="image_kind"]:checked') };
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
  upload.addEventListener("change", function () {
    var file = upload.files && upload.files[0];
    uploadProblem.textContent = "";
    upload.removeAttribute("aria-invalid");
    if (!file) { return; }
    var limit = parseInt(upload.getAttribute("data-max-bytes"), 10);
    var problem = !/^image\/(png|svg\+xml)$/.test(file.type) ? fill(WORDS.wrongType, { name: file.name })
      : (file.size > limit ? fill(WORDS.tooBig, { size: TEXT.size(file.size), limit: numbers.format(limit / 1024) }) : "");
    if (problem) {
      upload.value = "";
      upload.setAttribute("aria-invalid", "true");
      uploadProblem.textContent = problem + " " + WORDS.keepImage;
      art.src = kept.src;
      if (kept.kind) { kept.kind.checked = true; }
      return;
    }
    document.getElementById("kind-upload").checked = true;
    art.src = URL.createObjectURL(file);
  });

  try { tree = JSON.parse(textarea.value); } catch (e) { tree = {all: []}; }
  if (!kindOf(tree)) { tree = {all: []}; }
  builder.hidden = false;
  var json = document.getElementById("criteria-json");
  if (json && !form.querySelector("#form-errors, [aria-invalid]")) { json.open = false; }
  draw();
  if (JSON.stringify(tree) !== JSON.stringify({all: []})) { schedulePreview(); } else { showHints(null); }
}());
