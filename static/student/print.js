// Show the Print button only where scripts run (printing from the browser menu works everywhere).
(function () {
  "use strict";
  var button = document.querySelector(".print-button");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
