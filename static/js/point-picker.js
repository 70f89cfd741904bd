/* One point picker for every form that asks "where?": a tap on the map fills hidden lat/lon inputs.
   Vanilla JS over our own Leaflet copy (load vendor/leaflet/leaflet.js first); no inline script.
   Every page keeps a text alternative (an address field) and, for keyboard users, Leaflet's own
   keys (arrows pan, +/- zoom) plus optional buttons: "the point is the middle of the map" and "clear".

   <div data-point-picker hidden
        data-lat-input="#lat" data-lon-input="#lon"   the (hidden) inputs the point goes into; required
        data-center="52.2118,4.4235" data-zoom="15"   the first view when no point is set yet
        data-point-zoom="15"                          the first view's zoom when the inputs hold a point
                                                      (a resident's own home: at most PUBLIC_MAX_ZOOM)
        data-tiles-url="https://.../{z}/{x}/{y}.png"  the background tiles (TILES_URL); none when empty
        data-tiles-attribution="..."                  their credit line (TILES_ATTRIBUTION, HTML)
        data-tiles-max-zoom="19"                      the deepest level the tile server has
        data-current="52.21,4.42"                     where it is now (correcting): a fixed ring
        data-areas-url="/api/v1/areas"                group outlines (GeoJSON); the view fits them
        data-areas-attribution="CBS / Kadaster"
        data-status="#status"                         aria-live text: its data-chosen (may hold {coords})
                                                      after a pick, its data-cleared after a clear
        data-clear-button="#clear"                    shown once a point is chosen; removes it
        data-centre-button="#centre"                  shown with the map; picks the map's centre
        data-text-input="#location">                  a typed location that excludes a map point:
                                                      a pick empties it, typing in it clears the point
   The map div and the buttons start hidden, so without JavaScript the page shows only what works.
   The tile server sees which tiles a visitor loads: a first view around someone's own point stays
   at the zoom the page sets (data-point-zoom); zooming deeper (to HOUSE_ZOOM) is the visitor's own
   act, with the +/- buttons or keys, and past the tiles' own depth the last level is enlarged. */
(function () {
  "use strict";

  var DIGITS = 6; /* about 0.1 m */
  var HOUSE_ZOOM = 19; /* the deepest a visitor may zoom by hand to tap a house */

  function pair(text) {
    var parts = (text || "").split(",").map(Number);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) && (parts[0] || parts[1]) ? parts : null;
  }

  function find(selector) {
    return selector ? document.querySelector(selector) : null;
  }

  function wire(box) {
    var d = box.dataset;
    var latInput = find(d.latInput);
    var lonInput = find(d.lonInput);
    if (!latInput || !lonInput) { return; }
    var status = find(d.status);
    var clearButton = find(d.clearButton);
    var centreButton = find(d.centreButton);
    var textInput = find(d.textInput);
    var current = pair(d.current);
    var zoom = Number(d.zoom) || 15;
    var start = latInput.value !== "" && lonInput.value !== "" ? pair(latInput.value + "," + lonInput.value) : null;

    box.hidden = false;
    var map = L.map(box, {scrollWheelZoom: false, maxZoom: HOUSE_ZOOM}).setView(
      start || pair(d.center) || current || [0, 0],
      start ? Number(d.pointZoom) || zoom : zoom
    );
    if (d.tilesUrl) {
      L.tileLayer(d.tilesUrl, {
        maxZoom: HOUSE_ZOOM,
        maxNativeZoom: Math.min(Number(d.tilesMaxZoom) || HOUSE_ZOOM, HOUSE_ZOOM),
        attribution: d.tilesAttribution || ""
      }).addTo(map);
    }
    if (current) {
      L.circleMarker(current, {radius: 9, color: "#b42318", weight: 3, fill: false, interactive: false}).addTo(map);
    }

    var marker = null;
    function say(text) {
      if (status) { status.textContent = text || ""; }
    }
    function choose(latlng, fromUser) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, {keyboard: false}).addTo(map); }
      latInput.value = latlng.lat.toFixed(DIGITS);
      lonInput.value = latlng.lng.toFixed(DIGITS);
      if (fromUser && textInput) { textInput.value = ""; }
      if (status) {
        var coords = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
        say((status.getAttribute("data-chosen") || "").replace("{coords}", coords));
      }
      if (clearButton) { clearButton.hidden = false; }
    }
    function clear(message) {
      if (marker) { map.removeLayer(marker); marker = null; }
      latInput.value = "";
      lonInput.value = "";
      say(message);
      if (clearButton) { clearButton.hidden = true; }
    }

    if (start) { choose(L.latLng(start[0], start[1]), false); }
    map.on("click", function (event) { choose(event.latlng, true); });
    if (centreButton) {
      centreButton.hidden = false;
      centreButton.addEventListener("click", function () { choose(map.getCenter(), true); });
    }
    if (clearButton) {
      clearButton.addEventListener("click", function () {
        clear(status ? status.getAttribute("data-cleared") : "");
      });
    }
    if (textInput) {
      /* Also fired by scripts that fill the field (a suggestion taken from the police text). */
      textInput.addEventListener("input", function () {
        if (textInput.value.trim() && latInput.value) { clear(""); }
      });
    }

    if (d.areasUrl && window.fetch) {
      if (d.areasAttribution) { map.attributionControl.addAttribution(d.areasAttribution); }
      fetch(d.areasUrl, {headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var layer = L.geoJSON(data, {style: {color: "#0b6e4f", weight: 2, fillOpacity: 0.08}, interactive: false});
          layer.addTo(map);
          if (!marker && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), {padding: [8, 8]}); }
        })
        .catch(function () { /* the outlines are a help, not a need */ });
    }
  }

  if (typeof L === "undefined") { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-point-picker]"), wire);
}());
