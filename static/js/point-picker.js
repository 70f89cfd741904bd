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
        data-text-input="#location"                   a typed location that excludes a map point:
                                                      a pick empties it, typing in it clears the point
        data-keep-view                                the first view is the page's (data-center and
                                                      data-zoom): the areas do not re-fit it
        data-confirm="#ok" data-confirm-box="#okbox"  a checkbox "yes, that is the place": every new
                                                      tap unticks it; the box shows once a point lies
                                                      in an area (hidden for a point outside them)
        data-street-input="#street"                   a street search: the input (with a <datalist>
        data-street-list="#streets"                   whose options carry data-bbox="s,w,n,e"), the
        data-street-button="#go"                      button, an aria-live line (data-not-found,
        data-street-status="#street-status"           data-several with {streets}, data-shown with
        data-street-zoom="17">                        {street}) and the deepest zoom of a found street
   The status line's data-chosen may hold {area} and {group}: the area the point lies in, from the
   outlines (data-areas-url); data-chosen-plain is said before they are loaded, data-chosen-nowhere
   for a point outside every area. The server decides again when the form is sent.
   The map div and the buttons start hidden, so without JavaScript the page shows only what works.
   The tile server sees which tiles a visitor loads: a first view around someone's own point stays
   at the zoom the page sets (data-point-zoom); zooming deeper (to HOUSE_ZOOM) is the visitor's own
   act, with the +/- buttons or keys, and past the tiles' own depth the last level is enlarged.
   A street search is the visitor's own act too: it shows the whole street (several houses), at
   most at data-street-zoom. */
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

  /* Ray casting over a GeoJSON ring of [lon, lat] pairs. */
  function inRing(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var yi = ring[i][1], xi = ring[i][0], yj = ring[j][1], xj = ring[j][0];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function inPolygon(lat, lon, rings) {
    if (!rings.length || !inRing(lat, lon, rings[0])) { return false; }
    for (var h = 1; h < rings.length; h++) { if (inRing(lat, lon, rings[h])) { return false; } }
    return true;
  }

  /* The properties of the first feature whose (Multi)Polygon holds the point, or null. */
  function featureAt(data, lat, lon) {
    var features = (data && data.features) || [];
    for (var f = 0; f < features.length; f++) {
      var g = features[f].geometry || {};
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polygons.length; p++) {
        if (inPolygon(lat, lon, polygons[p])) { return features[f].properties || {}; }
      }
    }
    return null;
  }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
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
    var confirm = find(d.confirm);
    var confirmBox = find(d.confirmBox);
    var areas = null; /* the outlines' GeoJSON, once loaded */
    var viewChosen = d.keepView !== undefined; /* the page or the visitor chose the view: no re-fit */
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
      if (fromUser && confirm) { confirm.checked = false; } /* a new place: ask again */
      describe(latlng, fromUser);
      if (clearButton) { clearButton.hidden = false; }
    }
    /* Say where the point is; with area names in the text, in which area (and show the "yes" box). */
    function describe(latlng, fromUser) {
      if (!marker) { return; }
      var chosen = status ? status.getAttribute("data-chosen") || "" : "";
      var named = /\{(area|group)\}/.test(chosen);
      var place = named && areas ? featureAt(areas, latlng.lat, latlng.lng) : null;
      if (confirmBox) { confirmBox.hidden = named && areas ? !place : false; }
      if (!status || (!fromUser && status.textContent.trim())) { return; } /* keep the server's words */
      var coords = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
      if (!named) {
        say(fill(chosen, {coords: coords}));
      } else if (!areas) {
        say(status.getAttribute("data-chosen-plain") || "");
      } else if (place) {
        say(fill(chosen, {coords: coords, area: place.area || "", group: place.group || ""}));
      } else {
        say(status.getAttribute("data-chosen-nowhere") || "");
      }
    }
    function clear(message) {
      if (marker) { map.removeLayer(marker); marker = null; }
      latInput.value = "";
      lonInput.value = "";
      say(message);
      if (clearButton) { clearButton.hidden = true; }
      if (confirm) { confirm.checked = false; }
      if (confirmBox) { confirmBox.hidden = true; }
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

    wireStreetSearch(map, d, function () { viewChosen = true; });

    if (d.areasUrl && window.fetch) {
      if (d.areasAttribution) { map.attributionControl.addAttribution(d.areasAttribution); }
      fetch(d.areasUrl, {headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var layer = L.geoJSON(data, {style: {color: "#0b6e4f", weight: 2, fillOpacity: 0.08}, interactive: false});
          layer.addTo(map);
          areas = data;
          if (!marker && !viewChosen && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), {padding: [8, 8], animate: false}); }
          if (marker) { describe(marker.getLatLng(), false); }
        })
        .catch(function () { /* the outlines are a help, not a need */ });
    }
  }

  /* "Zoek uw straat": the street's box from the datalist's data-bbox; the map shows the whole street. */
  function wireStreetSearch(map, d, onMove) {
    var input = find(d.streetInput);
    var list = find(d.streetList);
    var button = find(d.streetButton);
    var line = find(d.streetStatus);
    if (!input || !list || !button) { return; }
    var box = input.closest("[data-street-search]");
    if (box) { box.hidden = false; }
    var streets = Array.prototype.map.call(list.querySelectorAll("option"), function (option) {
      return {name: option.value, key: option.value.toLowerCase(), box: (option.getAttribute("data-bbox") || "").split(",").map(Number)};
    }).filter(function (street) { return street.box.length === 4 && street.box.every(isFinite); });
    function tell(text) { if (line) { line.textContent = text; } }
    function search() {
      var wanted = input.value.trim().toLowerCase().replace(/\s+/g, " ");
      if (!wanted) { return; }
      var hits = streets.filter(function (s) { return s.key === wanted; });
      if (!hits.length) { hits = streets.filter(function (s) { return s.key.indexOf(wanted) === 0; }); }
      if (!hits.length) { hits = streets.filter(function (s) { return s.key.indexOf(wanted) >= 0; }); }
      if (hits.length === 1) {
        var b = hits[0].box;
        input.value = hits[0].name;
        onMove();
        /* not animated: "Mijn huis staat in het midden" right after would read the old middle */
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {maxZoom: Number(d.streetZoom) || 17, padding: [24, 24], animate: false});
        tell(fill(line && line.getAttribute("data-shown"), {street: hits[0].name}));
      } else if (hits.length > 1) {
        var names = hits.slice(0, 5).map(function (s) { return s.name; }).join(", ") + (hits.length > 5 ? ", ..." : "");
        tell(fill(line && line.getAttribute("data-several"), {streets: names}));
      } else {
        tell(line ? line.getAttribute("data-not-found") || "" : "");
      }
    }
    button.addEventListener("click", search);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); } /* not the form's submit */
    });
  }

  if (typeof L === "undefined") { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-point-picker]"), wire);
}());
