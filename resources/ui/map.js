// Tocsin live map: the JS half of the map bridge.  Receives JSON from Python over
// QWebChannel and draws; reports clicks and "rendered" acknowledgements back.
// Runs at DOMContentLoaded: folium's own script (which creates the map) comes after this one.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("tocsin-config").textContent);
  var map = window[cfg.map];
  var KIND_COLOURS = {single_gunshot: "#ffb347", multiple_gunshots: "#ff5c5c", possible_gunfire: "#c9b6ff"};
  var MAX_INCIDENTS = 600;
  var bridge = null;
  var incidents = {};      // id -> {group, feature, label}
  var order = [];          // ids, oldest first
  var selectedId = null;
  var sensorLayer = L.layerGroup();
  var incidentLayer = L.layerGroup().addTo(map);
  window.tocsin = {incidents: incidents, map: map, selected: function () { return selectedId; },
                   sensorsShown: function () { return map.hasLayer(sensorLayer) ? sensorLayer.getLayers().length : 0; }};

  function log(level, msg) { if (bridge) { bridge.js_log(level, String(msg)); } }
  window.addEventListener("error", function (e) { log("error", e.message + " @" + e.lineno); });

  function ellipseStyle(f, selected) {
    var colour = f.escalated ? "#ff2d55" : (KIND_COLOURS[f.kind] || "#ffffff");
    return {color: selected ? "#00e5ff" : colour, weight: selected ? 4 : 2, fillColor: colour,
            fillOpacity: f.state === "closed" ? 0.05 : 0.18, opacity: f.state === "closed" ? 0.45 : 0.95};
  }

  function draw(f) {
    var old = incidents[f.id];
    if (old) { incidentLayer.removeLayer(old.group); } else { order.push(f.id); }
    var selected = f.id === selectedId;
    var group = L.featureGroup();
    var ellipse = L.polygon(f.ellipse, ellipseStyle(f, selected)).addTo(group);
    f.shots.forEach(function (s) {
      L.marker(s.ll, {icon: L.divIcon({className: "", iconSize: [20, 20], iconAnchor: [10, 10],
        html: '<div class="shot-num" style="background:' + s.colour + '">' + s.n + "</div>"})}).addTo(group);
    });
    if (f.arrow) {
      L.polyline([f.arrow.from, f.arrow.to], {color: "#ffd21f", weight: 4}).addTo(group);
      var ang = f.arrow.heading_deg;
      L.marker(f.arrow.to, {icon: L.divIcon({className: "", iconSize: [24, 24], iconAnchor: [12, 12],
        html: '<div style="transform:rotate(' + ang + 'deg);color:#ffd21f;font-size:24px;line-height:24px;text-align:center">&#9650;</div>'})}).addTo(group);
      L.marker(f.arrow.to, {icon: L.divIcon({className: "", iconSize: null, iconAnchor: [-16, 9],
        html: '<div class="arrow-label"></div>'})}).addTo(group);
    }
    var label = L.marker(f.ll, {icon: L.divIcon({className: "", iconSize: null, iconAnchor: [-14, 26],
      html: '<div class="inc-label' + (selected ? " selected" : "") + '"></div>'})}).addTo(group);
    group.on("click", function () { if (bridge) { bridge.js_marker_clicked(f.id); } });
    group.addTo(incidentLayer);
    // Text goes in with textContent: never HTML built from data.
    var el = label.getElement();
    if (el) { el.querySelector(".inc-label").textContent = f.title; }
    if (f.arrow) {
      group.eachLayer(function (l) {
        var e = l.getElement && l.getElement();
        var a = e && e.querySelector(".arrow-label");
        if (a) { a.textContent = f.arrow.label; }
      });
    }
    incidents[f.id] = {group: group, feature: f, ellipse: ellipse};
  }

  function trim() {
    while (order.length > MAX_INCIDENTS) {
      var id = order.shift();
      if (incidents[id] && id !== selectedId) { incidentLayer.removeLayer(incidents[id].group); delete incidents[id]; }
    }
  }

  function onIncidents(json) {
    var list = JSON.parse(json);
    list.forEach(draw);
    trim();
    var ids = list.map(function (f) { return f.id; });
    requestAnimationFrame(function () { if (bridge) { bridge.js_rendered(JSON.stringify(ids)); } });
  }

  function onRemoved(json) {
    JSON.parse(json).forEach(function (id) {
      if (incidents[id]) { incidentLayer.removeLayer(incidents[id].group); delete incidents[id]; }
      var i = order.indexOf(id);
      if (i >= 0) { order.splice(i, 1); }
      if (id === selectedId) { selectedId = null; }
    });
  }

  function onSelection(json) {
    var msg = JSON.parse(json);
    var prev = selectedId;
    selectedId = msg.id;
    [prev, selectedId].forEach(function (id) { if (id && incidents[id]) { draw(incidents[id].feature); } });
    if (selectedId && incidents[selectedId]) {
      var b = incidents[selectedId].group.getBounds();
      map.flyToBounds(b.pad(1.5), {maxZoom: 17, duration: 0.4});
    }
  }

  function onLayers(json) {
    var flags = JSON.parse(json);
    if ("sensors" in flags) {
      sensorLayer.clearLayers();
      if (flags.sensors && flags.sensor_list) {
        flags.sensor_list.forEach(function (s) {
          L.marker(s.ll, {icon: L.divIcon({className: "", iconSize: [10, 10], iconAnchor: [5, 5],
            html: '<div class="sensor-dot"></div>'}), title: s.id}).addTo(sensorLayer);
        });
        sensorLayer.addTo(map);
      } else {
        map.removeLayer(sensorLayer);
      }
    }
  }

  function onView(json) {
    var msg = JSON.parse(json);
    if (msg.fit === "city") { map.setView(cfg.center, cfg.zoom); }
  }

  new QWebChannel(qt.webChannelTransport, function (channel) {
    bridge = channel.objects.bridge;
    bridge.incidents_pushed.connect(onIncidents);
    bridge.incidents_removed.connect(onRemoved);
    bridge.selection_changed.connect(onSelection);
    bridge.layers_changed.connect(onLayers);
    bridge.view_requested.connect(onView);
    var lastActivity = 0;
    ["mousedown", "keydown", "wheel"].forEach(function (ev) {
      document.addEventListener(ev, function () {
        var t = Date.now();
        if (t - lastActivity > 5000) { lastActivity = t; bridge.js_activity(); }
      }, true);
    });
    bridge.js_ready();
  });
});
