/* Meldingen form: location suggestions from the pasted text (the map is static/js/point-picker.js).
   Vanilla JS; the form works without it (typed location, "Zoek de locatie in de tekst" button). */
(function () {
  "use strict";
  var form = document.getElementById("melding-form");
  if (!form) { return; }
  var locationInput = form.querySelector("input[name=location]");

  /* Suggestions: a click fills the location field instead of submitting the form. */
  var box = document.getElementById("location-suggestions");
  function useSuggestion(value) {
    if (!locationInput) { return; }
    locationInput.value = value;
    /* the point picker listens: a typed or chosen location replaces a point on the map */
    locationInput.dispatchEvent(new Event("input", {bubbles: true}));
    locationInput.focus();
  }
  if (box) {
    box.addEventListener("click", function (event) {
      var button = event.target.closest("button.suggestion");
      if (!button) { return; }
      event.preventDefault();
      useSuggestion(button.dataset.value);
    });
  }

  function render(suggestions) {
    if (!box) { return; }
    box.textContent = "";
    if (!suggestions.length) { return; }
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = form.dataset.inText;
    var list = document.createElement("ul");
    list.className = "plain";
    suggestions.forEach(function (s) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button suggestion";
      button.dataset.value = s.value;
      button.textContent = form.dataset.useAs.replace("%s", s.label);
      item.appendChild(button);
      list.appendChild(item);
    });
    box.appendChild(hint);
    box.appendChild(list);
  }

  var text = form.querySelector("textarea[name=received_text]");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  function fetchSuggestions() {
    if (!text || !window.fetch || (locationInput && locationInput.value.trim())) { return; }
    var headers = {"Content-Type": "application/json"};
    if (token) { headers["X-CSRFToken"] = token.value; }
    fetch(form.dataset.suggestUrl, {
      method: "POST", headers: headers, credentials: "same-origin",
      body: JSON.stringify({text: text.value.slice(0, 4000)})
    }).then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
      .then(function (data) { render(data.suggestions || []); })
      .catch(function () { /* suggestions are a convenience; the button still works */ });
  }
  if (text) {
    text.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 600);
    });
  }
})();
