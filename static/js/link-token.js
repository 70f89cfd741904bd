/* Personal links carry their token after '#' (buurt/personal_links.py): browsers never send the
   fragment, so no access log, proxy or Referer ever holds it. This copies the fragment into the
   hidden `token` field of each form[data-link-token], removes it from the address bar and history,
   and submits a form marked data-link-autosubmit once (opening a link only shows a page). Without
   a fragment (typed, reloaded, no JavaScript) the code field stays visible for pasting. */
(function () {
  "use strict";
  var hash = window.location.hash;
  if (!hash || hash.length < 2) {
    return;
  }
  var token = hash.slice(1);
  try {
    token = decodeURIComponent(token);
  } catch (e) {
    /* not percent-encoded: keep it as it is */
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var forms = document.querySelectorAll("form[data-link-token]");
  for (var i = 0; i < forms.length; i++) {
    var form = forms[i];
    var field = form.querySelector("input[name=token]");
    if (!field) {
      continue;
    }
    field.value = token;
    var manual = form.querySelector("[data-link-code]");
    if (manual) {
      manual.hidden = true;
    }
    if (form.hasAttribute("data-link-autosubmit")) {
      var waiting = form.querySelector("[data-link-waiting]");
      if (waiting) {
        waiting.hidden = false;
      }
      HTMLFormElement.prototype.submit.call(form); // form.submit may be shadowed by a field named "submit"
      return;
    }
  }
})();
