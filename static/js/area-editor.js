/* The map editor of the areas (templates/beheer/editor.html, issue 17): the map fills the same form
   fields a person can fill by hand, so the server sees one form either way.
   Vanilla JS over our own Leaflet and Leaflet.draw copies (load vendor/leaflet/leaflet.js and
   vendor/leaflet-draw/leaflet.draw.js first); no inline script: everything comes from data-*.

   <div data-area-editor
        data-areas-url="/beheer/gebieden/bewerken/gebieden.geojson"   the areas: features with id = key,
                                                   properties naam, groepsnaam, kleur; top-level buitenrand
        data-box="#box"                             the part of the page that holds the map: hidden until
                                                   this script runs (without it the form alone works)
        data-form="#form"                           the form: its fields in [data-modes] wrappers show for
                                                   the chosen edit only
        data-select-a="#gebied_a" data-select-b="#gebied_b"   the selects: the source of truth; a click on
                                                   an area fills the first, the next click the second
                                                   (a split: the first only)
        data-line-input="#lijn"                     the line as text, one "lat, lon" per row (6 decimals); a
                                                   drawn line fills it, an edited text redraws the line
        data-mode-name="bewerking"                  the radios (or select) of the edit: grens | splitsen |
                                                   samenvoegen
        data-status="#status"                       aria-live line; its data-* hold the sentences
        data-clear-button="#wissen"                 shown with the map; removes the line
        data-snap-m="25"                            a dashed circle of this radius around each end of the line:
                                                   an end within it of the outer edge is put on the edge
                                                   (by the server, which decides)
        data-center="52.21,4.42" data-zoom="15"     the first view until the areas are loaded
        data-tiles-url, data-tiles-attribution, data-tiles-max-zoom   the background (none when empty)
        data-draw-texts='{"polyline": ...}'>        Leaflet.draw's texts, translated in the template

   For tests and other scripts: the element gets `areaEditor` ({map, point(lat, lon) -> [x, y]: where
   that place is in the window now, as a mouse event's clientX/clientY}) and the attribute data-ready
   once the areas are drawn. */
(function () {
  "use strict";

  var DIGITS = 6; /* about 0.1 m */
  var MAX_ZOOM = 19;
  var LABEL_ZOOM = 14; /* area names from this zoom on (a phone shows the neighbourhood at 13) */
  var TOUCH_FINISH_MS = 500;
  var LINE_STYLE = {color: "#1b1f23", weight: 4, opacity: 0.9};

  function find(selector) {
    return selector ? document.querySelector(selector) : null;
  }

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function pair(text) {
    var parts = (text || "").split(",").map(Number);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? parts : null;
  }

  /* The textarea's points as L.LatLng: rows (or ";"-separated parts) of "lat, lon", or a pasted GeoJSON
     LineString ([lon, lat]). null when the text is not (yet) a line: the server gives the reasons. */
  function parseLine(text) {
    var trimmed = (text || "").trim();
    var points = [];
    if (trimmed.charAt(0) === "{") {
      try {
        var g = JSON.parse(trimmed);
        g = g && g.type === "Feature" ? g.geometry : g;
        if (!g || g.type !== "LineString" || !Array.isArray(g.coordinates)) { return null; }
        g.coordinates.forEach(function (c) { points.push([Number(c[1]), Number(c[0])]); });
      } catch (error) {
        return null;
      }
    } else {
      var rows = trimmed.split(/[\n;]+/);
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i].trim();
        if (!row) { continue; }
        var numbers = row.split(/[\s,]+/).filter(Boolean).map(Number);
        if (numbers.length !== 2) { return null; }
        points.push(numbers);
      }
    }
    for (var p = 0; p < points.length; p++) {
      if (!isFinite(points[p][0]) || !isFinite(points[p][1]) || Math.abs(points[p][0]) > 90 || Math.abs(points[p][1]) > 180) {
        return null;
      }
    }
    return points.length >= 2 ? points.map(function (q) { return L.latLng(q[0], q[1]); }) : null;
  }

  function formatLine(latlngs) {
    return latlngs.map(function (ll) { return ll.lat.toFixed(DIGITS) + ", " + ll.lng.toFixed(DIGITS); }).join("\n");
  }

  /* Leaflet.draw 1.0.4 on Leaflet 1.9 with a finger: a tap adds the point on touchstart, and the
     browser's click that follows the tap lands on the point's new marker, whose click finishes the line
     (so every line ended after two points). A finish within TOUCH_FINISH_MS of a point added by touch
     is that click: ignored. A mouse never goes through the touch path; the "Klaar" button always works. */
  function guardTouchFinish() {
    var proto = L.Draw && L.Draw.Polyline && L.Draw.Polyline.prototype;
    if (!proto || proto.buurtTouchGuard) { return; }
    var addVertex = proto.addVertex;
    var finishShape = proto._finishShape;
    proto.addVertex = function () {
      this.buurtTouchPointAt = this._touchHandled ? Date.now() : 0;
      return addVertex.apply(this, arguments);
    };
    proto._finishShape = function () {
      if (this.buurtTouchPointAt && Date.now() - this.buurtTouchPointAt < TOUCH_FINISH_MS) { return; }
      return finishShape.apply(this, arguments);
    };
    proto.buurtTouchGuard = true;
  }

  /* Leaflet.draw's English texts, replaced by the template's (read when a tool is made or started). */
  function translateDraw(t) {
    var d = L.drawLocal.draw;
    var e = L.drawLocal.edit;
    if (t.polyline) { d.toolbar.buttons.polyline = t.polyline; }
    if (t.start) { d.handlers.polyline.tooltip.start = t.start; }
    if (t.cont) { d.handlers.polyline.tooltip.cont = t.cont; }
    if (t.end) { d.handlers.polyline.tooltip.end = t.end; }
    if (t.finish) { d.toolbar.finish = {text: t.finish, title: t.finishTitle || t.finish}; }
    if (t.undo) { d.toolbar.undo = {text: t.undo, title: t.undoTitle || t.undo}; }
    if (t.cancel) { d.toolbar.actions = {text: t.cancel, title: t.cancelTitle || t.cancel}; }
    if (t.edit) { e.toolbar.buttons.edit = t.edit; }
    if (t.editDisabled) { e.toolbar.buttons.editDisabled = t.editDisabled; }
    if (t.save) { e.toolbar.actions.save = {text: t.save, title: t.saveTitle || t.save}; }
    if (t.editCancel) { e.toolbar.actions.cancel = {text: t.editCancel, title: t.editCancelTitle || t.editCancel}; }
    if (t.editText) { e.handlers.edit.tooltip = {text: t.editText, subtext: t.editSubtext || ""}; }
  }

  function wire(box) {
    var d = box.dataset;
    var form = find(d.form);
    var selectA = find(d.selectA);
    var selectB = find(d.selectB);
    var lineInput = find(d.lineInput);
    var status = find(d.status);
    var clearButton = find(d.clearButton);
    var snapM = Number(d.snapM) || 0;
    if (!form || !selectA || !lineInput) { return; }
    var drawTexts = {};
    try { drawTexts = JSON.parse(d.drawTexts || "{}"); } catch (error) { drawTexts = {}; }

    var holder = find(d.box);
    if (holder) { holder.hidden = false; }
    box.hidden = false;
    var center = pair(d.center) || [52.2118, 4.4235];
    /* half zoom steps: the neighbourhood fills more of the map (tiles in between are scaled) */
    var map = L.map(box, {scrollWheelZoom: false, maxZoom: MAX_ZOOM, zoomSnap: 0.5}).setView(center, Number(d.zoom) || 15);
    if (d.tilesUrl) {
      L.tileLayer(d.tilesUrl, {
        maxZoom: MAX_ZOOM,
        maxNativeZoom: Math.min(Number(d.tilesMaxZoom) || MAX_ZOOM, MAX_ZOOM),
        attribution: d.tilesAttribution || ""
      }).addTo(map);
    }
    map.attributionControl.addAttribution("CBS / Kadaster");
    /* zoomed out, the names would cover the areas (the status line and the table still name them) */
    function nameAtZoom() { box.classList.toggle("editor-map-far", map.getZoom() < LABEL_ZOOM); }
    map.on("zoomend", nameAtZoom);
    nameAtZoom();

    var areas = {}; /* key -> {layer, name, colour, label} */
    var clickB = false; /* the next click on an area fills B */
    var lineGroup = new L.FeatureGroup().addTo(map); /* the one drawn line (Leaflet.draw edits it) */
    var ends = L.layerGroup().addTo(map); /* the snap circles around its ends */
    var lastNote = ""; /* a one-off remark said before the state (e.g. "that is A already") */

    function text(name) {
      return status ? status.getAttribute("data-" + name) || "" : "";
    }

    function mode() {
      var fields = form.querySelectorAll('[name="' + (d.modeName || "bewerking") + '"]');
      for (var i = 0; i < fields.length; i++) {
        var f = fields[i];
        if (f.type === "radio") { if (f.checked) { return f.value; } } else { return f.value; }
      }
      return "grens";
    }

    function showFieldsFor(current) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-modes]"), function (wrapper) {
        wrapper.hidden = (" " + wrapper.getAttribute("data-modes") + " ").indexOf(" " + current + " ") < 0;
      });
    }

    function areaName(key) {
      if (areas[key]) { return areas[key].name; }
      var option = selectA.querySelector('option[value="' + (window.CSS && CSS.escape ? CSS.escape(key) : key) + '"]');
      return option ? option.textContent : key;
    }

    function currentLine() {
      var layers = lineGroup.getLayers();
      return layers.length ? layers[0] : null;
    }

    function say() {
      var parts = [];
      if (lastNote) { parts.push(lastNote); lastNote = ""; }
      var split = mode() === "splitsen";
      var a = selectA.value;
      var b = selectB && !split ? selectB.value : "";
      if (!a && !b) {
        parts.push(text("no-area"));
      } else {
        if (a) { parts.push(fill(text(split ? "area-split" : "area-a"), {name: areaName(a)})); }
        if (b) { parts.push(fill(text("area-b"), {name: areaName(b)})); }
        if (a && !b && !split && mode() !== "") { parts.push(text("next-b")); }
      }
      var line = currentLine();
      if (line && mode() !== "samenvoegen") {
        parts.push(fill(text("line"), {n: line.getLatLngs().length}));
      }
      if (status) { status.textContent = parts.join(" "); }
    }

    /* Each area in its colour; the chosen ones stronger, with "1:"/"2:" (first, second) before their name. */
    function restyle() {
      var split = mode() === "splitsen";
      var a = selectA.value;
      var b = selectB && !split ? selectB.value : "";
      Object.keys(areas).forEach(function (key) {
        var area = areas[key];
        var role = key === a ? "1" : key === b ? "2" : "";
        area.layer.setStyle({
          color: area.colour,
          weight: role ? 5 : 2,
          opacity: 1,
          fillColor: area.colour,
          fillOpacity: role ? 0.45 : 0.15,
          dashArray: role === "2" ? "12 6" : null
        });
        area.label.textContent = (role ? role + ": " : "") + area.name;
        if (role) { area.layer.bringToFront(); }
      });
      var line = currentLine();
      if (line) { line.bringToFront(); }
    }

    function refresh() {
      restyle();
      say();
    }

    function choose(key) {
      var split = mode() === "splitsen";
      if (split || !selectB || !clickB) {
        selectA.value = key;
        if (selectB && !split && selectB.value === key) { selectB.value = ""; }
        clickB = !split;
      } else if (key === selectA.value) {
        lastNote = text("same");
      } else {
        selectB.value = key;
        clickB = false;
      }
      refresh();
    }

    function showEnds(latlngs) {
      ends.clearLayers();
      if (!latlngs || latlngs.length < 2 || !snapM) { return; }
      [latlngs[0], latlngs[latlngs.length - 1]].forEach(function (ll) {
        L.circle(ll, {radius: snapM, color: "#1b1f23", weight: 1.5, dashArray: "4 4", fill: false, interactive: false}).addTo(ends);
      });
    }

    /* The line on the map; fromMap: it was drawn or moved there, so the text follows. */
    function setLine(latlngs, fromMap) {
      lineGroup.clearLayers();
      if (latlngs && latlngs.length >= 2) {
        L.polyline(latlngs, LINE_STYLE).addTo(lineGroup);
        if (fromMap) { lineInput.value = formatLine(latlngs); }
      }
      showEnds(latlngs);
      if (clearButton) { clearButton.hidden = !lineInput.value.trim() && !currentLine(); }
      refresh();
    }

    var drawing = false; /* while a tool is on, a tap on an area is part of the line, not a choice */
    if (window.L && L.Control && L.Control.Draw) {
      guardTouchFinish();
      translateDraw(drawTexts);
      map.addControl(new L.Control.Draw({
        position: "topleft",
        draw: {
          polyline: {shapeOptions: LINE_STYLE, showLength: true, metric: true, feet: false},
          polygon: false, rectangle: false, circle: false, marker: false, circlemarker: false
        },
        edit: {featureGroup: lineGroup, remove: false}
      }));
      map.on(L.Draw.Event.DRAWSTART + " " + L.Draw.Event.EDITSTART, function () { drawing = true; });
      map.on(L.Draw.Event.DRAWSTOP + " " + L.Draw.Event.EDITSTOP, function () {
        setTimeout(function () { drawing = false; }, TOUCH_FINISH_MS); /* the click that ended it */
      });
      map.on(L.Draw.Event.CREATED, function (event) { setLine(event.layer.getLatLngs(), true); });
      map.on(L.Draw.Event.EDITED, function () {
        var line = currentLine();
        if (line) { setLine(line.getLatLngs(), true); }
      });
      map.on(L.Draw.Event.EDITVERTEX, function (event) {
        var line = event.poly || currentLine();
        if (line) { showEnds(line.getLatLngs()); }
      });
    }

    lineInput.addEventListener("input", function () { setLine(parseLine(lineInput.value), false); });
    if (clearButton) {
      clearButton.addEventListener("click", function () {
        lineInput.value = "";
        setLine(null, false);
        lastNote = text("line-cleared");
        say();
      });
    }
    [selectA, selectB].forEach(function (select) {
      if (select) {
        select.addEventListener("change", function () {
          clickB = select === selectA && mode() !== "splitsen";
          refresh();
        });
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll('[name="' + (d.modeName || "bewerking") + '"]'), function (field) {
      field.addEventListener("change", function () {
        showFieldsFor(mode());
        clickB = Boolean(selectA.value) && mode() !== "splitsen";
        refresh();
      });
    });

    box.areaEditor = {
      map: map,
      /* where (lat, lon) is in the window now (CSS px, like a mouse event's clientX/clientY) */
      point: function (lat, lon) {
        var p = map.latLngToContainerPoint([lat, lon]);
        var rect = box.getBoundingClientRect();
        return [rect.left + box.clientLeft + p.x, rect.top + box.clientTop + p.y];
      }
    };

    showFieldsFor(mode());
    clickB = Boolean(selectA.value) && !(selectB && selectB.value);
    setLine(parseLine(lineInput.value), false); /* a line sent back (a refusal) or prefilled (a split) */

    function loaded(data) {
      var layer = L.geoJSON(data, {
        onEachFeature: function (feature, featureLayer) {
          var p = feature.properties || {};
          var key = feature.id !== undefined ? String(feature.id) : String(p.key || "");
          var label = document.createElement("span");
          label.textContent = p.naam || key; /* text, never HTML */
          areas[key] = {layer: featureLayer, name: p.naam || key, colour: p.kleur || "#0b6e4f", label: label};
          featureLayer.bindTooltip(label, {permanent: true, direction: "center", className: "area-editor-label"});
          featureLayer.on("click", function () { if (!drawing) { choose(key); } });
        }
      }).addTo(map);
      if (data.buitenrand) {
        L.geoJSON(data.buitenrand, {
          style: {color: "#1b1f23", weight: 2, dashArray: "8 6", fill: false},
          interactive: false
        }).addTo(map);
      }
      /* not animated: data-ready says the view is final (a click during Leaflet's zoom animation
         missed Leaflet.draw's mouse marker and was lost) */
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), {padding: [8, 8], animate: false}); }
      var line = currentLine();
      if (line) { line.bringToFront(); }
      refresh();
      box.setAttribute("data-ready", "");
    }

    refresh();
    if (d.areasUrl && window.fetch) {
      fetch(d.areasUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { throw new Error("no areas"); }
          loaded(data);
        })
        .catch(function () {
          lastNote = text("failed");
          say();
          box.setAttribute("data-ready", "");
        });
    }
  }

  if (typeof L === "undefined") { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-area-editor]"), wire);
}());
