/* Incident report form: click the map to set the place (hidden lat/lon). No user text is inserted as HTML. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("report-status");
  var clear = document.getElementById("report-clear");
  if (!box || !lat || !lon || typeof L === "undefined") { return; }
  box.hidden = false;
  var centre = (box.getAttribute("data-center") || "").split(",").map(Number);
  var start = lat.value && lon.value ? [Number(lat.value), Number(lon.value)]
    : (centre.length === 2 && isFinite(centre[0]) && isFinite(centre[1]) && centre[0] ? centre : [52.2118, 4.4235]);
  var map = L.map(box, {scrollWheelZoom: false}).setView(start, 15);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap-bijdragers"
  }).addTo(map);
  if (box.hasAttribute("data-center") && centre.length === 2 && isFinite(centre[0]) && isFinite(centre[1])) {
    // where the incident is now (correction form): a fixed ring; a click sets the new place
    L.circleMarker(centre, {radius: 9, color: "#b42318", weight: 3, fill: false, interactive: false}).addTo(map);
  }
  var marker = null;
  function show(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, {keyboard: false}).addTo(map); }
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    status.textContent = status.getAttribute("data-chosen");
    clear.hidden = false;
  }
  if (lat.value && lon.value) { show(L.latLng(start[0], start[1])); }
  map.on("click", function (e) { show(e.latlng); });
  clear.addEventListener("click", function () {
    if (marker) { map.removeLayer(marker); marker = null; }
    lat.value = ""; lon.value = "";
    status.textContent = status.getAttribute("data-cleared");
    clear.hidden = true;
  });
})();
