// Course setup page: "select all" for suggestions, and the score pull's status kept current while it runs.
// A file rather than inline script, so a Content-Security-Policy without 'unsafe-inline' allows it.
// Without JavaScript the page still works: every box is checked by default, and the Refresh link reloads.
(function () {
  "use strict";

  var all = document.getElementById("select-all-suggestions");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="suggestion"]').forEach(function (box) { box.checked = all.checked; });
    });
  }

  var region = document.getElementById("pull-status");
  if (!region || !window.fetch || region.getAttribute("data-active") !== "true") { return; }
  var POLL_MS = 3000;
  var MAX_POLLS = 400; // about 20 minutes; after that the Refresh link is still there
  var polls = 0;

  function show(data) {
    region.querySelector(".pull-status-text").textContent = data.text;
    region.className = "pull-status pull-" + data.status;
    region.setAttribute("data-active", data.active ? "true" : "false");
    if (!data.active) {
      var link = region.querySelector(".pull-status-refresh a");
      if (link) { link.textContent = region.getAttribute("data-done-label"); }
    }
  }

  function poll() {
    polls += 1;
    fetch(region.getAttribute("data-status-url"), {
      headers: {"Accept": "application/json", "Authorization": "Bearer " + region.getAttribute("data-token")},
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (data) {
      var before = region.querySelector(".pull-status-text").textContent;
      if (data.text !== before) { show(data); } // only a real change is announced
      if (data.active && polls < MAX_POLLS) { window.setTimeout(poll, POLL_MS); }
    }).catch(function () {
      // An expired session or a lost connection: stop quietly; the Refresh link still works.
    });
  }

  window.setTimeout(poll, POLL_MS);
})();
