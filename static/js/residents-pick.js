/* "Wijs uw huis aan op de kaart": a fallback when we cannot find an address.
   Vanilla JS over our own Leaflet copy. A tap (or the centre button, for keyboard users) fills the
   hidden pick_lat/pick_lon fields of the sign-up form. The point is only sent with the form. */
(function () {
  "use strict";
  var box = document.getElementById("pick-map");
  if (!box || typeof L === "undefined") { return; }
  var latField = document.getElementById("pick_lat");
  var lonField = document.getElementById("pick_lon");
  var status = document.getElementById("pick-status");
  var centreButton = document.getElementById("pick-center");
  box.hidden = false;
  centreButton.hidden = false;

  var map = L.map(box, { scrollWheelZoom: false }).setView([52.2118, 4.4235], 15);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap-bijdragers"
  }).addTo(map);
  map.attributionControl.addAttribution("CBS / Kadaster, CC BY 4.0");

  var marker = null;
  function choose(latlng) {
    var lat = Math.round(latlng.lat * 1e7) / 1e7;
    var lon = Math.round(latlng.lng * 1e7) / 1e7;
    latField.value = String(lat);
    lonField.value = String(lon);
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
    status.textContent = status.getAttribute("data-chosen") || "U heeft een plek aangewezen. Klik nu op Aanmelden.";
  }
  if (latField.value && lonField.value) {
    var lat0 = parseFloat(latField.value), lon0 = parseFloat(lonField.value);
    if (isFinite(lat0) && isFinite(lon0)) { choose(L.latLng(lat0, lon0)); map.setView([lat0, lon0], 17); }
  }
  map.on("click", function (event) { choose(event.latlng); });
  centreButton.addEventListener("click", function () { choose(map.getCenter()); });

  var url = box.getAttribute("data-areas-url");
  if (url) {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          style: { color: "#0b6e4f", weight: 2, fillOpacity: 0.08 },
          interactive: false
        }).addTo(map);
        if (!marker && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
      })
      .catch(function () { /* the outlines are a help, not a need */ });
  }
}());
