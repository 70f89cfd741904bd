// Forms, site-wide (templates/_forms.html, base.html):
// 1. After a refused submit, focus lands on the error summary so it is seen and read out; a link in
//    the summary moves focus to its field (and scrolls its label into view).
// 2. On a page that shows the answer to a form marked data-language-resubmit (the group lookup), the
//    language link asks the same question again in the other language instead of dropping the answer.
//    Only forms that change nothing carry that mark.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']") || field;
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  var answered = document.body.hasAttribute("data-answered") && document.querySelector("form[data-language-resubmit]");
  var switcher = document.querySelector("[data-language-switch]");
  if (answered && switcher) {
    switcher.addEventListener("click", function (event) {
      event.preventDefault();
      var action = new URL(answered.getAttribute("action") || window.location.href, window.location.href);
      action.searchParams.set("lang", switcher.getAttribute("data-language-switch"));
      answered.setAttribute("action", action.pathname + action.search + action.hash);
      // the form's own submit button is named "submit" (WTForms) and hides the method
      HTMLFormElement.prototype.submit.call(answered);
    });
  }
})();
