// Không Ma Túy web channel: optional live updates (server-sent events) and optional
// browser location. Everything works without this file.
(function () {
  "use strict";
  var live = document.body.getAttribute("data-live");
  if (live && window.EventSource) {
    var chat = document.getElementById("chat");
    var source = new EventSource(live);
    var seen = document.body.getAttribute("data-version");
    source.onmessage = function (ev) {
      if (ev.data === seen) return;
      var first = seen === "-1";
      seen = ev.data;
      if (first) return;
      if (!chat) { window.location.reload(); return; }
      fetch("transcript", { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html === null) return;
        chat.innerHTML = html;
        var end = document.getElementById("end");
        if (end) end.scrollIntoView({ block: "end" });
      });
    };
  }
  var geo = document.querySelector("form.geo");
  if (geo && navigator.geolocation) {
    geo.hidden = false;
    geo.addEventListener("submit", function (ev) {
      if (geo.elements.lat.value) return;
      ev.preventDefault();
      navigator.geolocation.getCurrentPosition(function (pos) {
        geo.elements.lat.value = pos.coords.latitude;
        geo.elements.lon.value = pos.coords.longitude;
        geo.submit();
      });
    });
  }
})();
