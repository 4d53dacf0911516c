// LTI Advantage pages (no inline scripts: the CSP allows scripts from this origin only).
// - a form marked data-lti-auto-submit posts at once (the deep linking answer to the LMS);
// - an element marked data-lti-close tells the LMS page that opened the tool's
//   registration that it is done (LTI Dynamic Registration 1.0, section 3.6).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-lti-auto-submit]");
    if (form) { form.submit(); }
    if (document.querySelector("[data-lti-close]")) {
      (window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
    }
  });
})();
