/* Meldingen form: a small map to pick a point, and location suggestions from the pasted text.
   Vanilla JS; the form works without it (typed location, "Zoek de locatie in de tekst" button). */
(function () {
  "use strict";
  var form = document.getElementById("melding-form");
  if (!form) { return; }
  var latInput = form.querySelector("input[name=lat]");
  var lonInput = form.querySelector("input[name=lon]");
  var locationInput = form.querySelector("input[name=location]");
  var statusLine = document.getElementById("picker-status");
  var mapDiv = document.getElementById("melding-picker");
  var marker = null;
  var map = null;

  function showPoint(lat, lon) {
    if (!map) { return; }
    if (marker) { marker.setLatLng([lat, lon]); }
    else { marker = window.L.circleMarker([lat, lon], {radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.6}).addTo(map); }
  }

  if (mapDiv && window.L && latInput && lonInput) {
    mapDiv.hidden = false;
    var startLat = parseFloat(mapDiv.dataset.lat);
    var startLon = parseFloat(mapDiv.dataset.lon);
    var hasPoint = isFinite(startLat) && isFinite(startLon);
    map = window.L.map(mapDiv).setView(
      hasPoint ? [startLat, startLon] : [parseFloat(mapDiv.dataset.centerLat), parseFloat(mapDiv.dataset.centerLon)],
      hasPoint ? 16 : 14
    );
    window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "&copy; OpenStreetMap"
    }).addTo(map);
    if (hasPoint) { showPoint(startLat, startLon); }
    map.on("click", function (event) {
      var lat = event.latlng.lat, lon = event.latlng.lng;
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      showPoint(lat, lon);
      if (locationInput) { locationInput.value = ""; }
      if (statusLine) { statusLine.textContent = form.dataset.pointChosen + " " + lat.toFixed(5) + ", " + lon.toFixed(5); }
    });
  }

  if (locationInput) {
    locationInput.addEventListener("input", function () {
      if (locationInput.value.trim() && latInput && latInput.value) {
        latInput.value = ""; lonInput.value = "";
        if (marker && map) { map.removeLayer(marker); marker = null; }
        if (statusLine) { statusLine.textContent = ""; }
      }
    });
  }

  /* Suggestions: a click fills the location field instead of submitting the form. */
  var box = document.getElementById("location-suggestions");
  function useSuggestion(value) {
    if (!locationInput) { return; }
    locationInput.value = value;
    if (latInput) { latInput.value = ""; lonInput.value = ""; }
    if (marker && map) { map.removeLayer(marker); marker = null; }
    if (statusLine) { statusLine.textContent = ""; }
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
