/* Live preview for the admin scale and policy editors: sends the unsaved fields to the JSON API
   (authenticated with the page's session token) and shows the engine's results on sample students. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form) { return; }
  var output = document.getElementById("preview");
  var contrastOutput = document.getElementById("contrast");
  var timer = null;
  var latest = 0;

  function fields() {
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== "t" && typeof value === "string") { data[key] = value; }
    });
    return data;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function badge(label, colour, textColour) {
    var node = element("span", "level-badge", label);
    if (colour) { node.style.background = colour; }
    if (textColour) { node.style.color = textColour; }
    return node;
  }

  function showResults(payload) {
    var table = element("table", "data preview-results");
    table.appendChild(element("caption", "", "Sample students, one standard"));
    var head = element("tr");
    ["Student", "Result", "Level", "Mastery", "Why"].forEach(function (title) {
      var cell = element("th", "", title);
      cell.scope = "col";
      head.appendChild(cell);
    });
    var thead = element("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = element("tbody");
    payload.results.forEach(function (row) {
      var tr = element("tr");
      tr.appendChild(element("td", "", row.student));
      tr.appendChild(element("td", "score", row.score === null ? "—" : row.score));
      var level = element("td");
      if (row.level) { level.appendChild(badge(row.level, row.colour, row.text_colour)); }
      tr.appendChild(level);
      tr.appendChild(element("td", "", row.mastered ? "yes" : "not yet"));
      var why = element("td", "explanation", row.explanation);
      if (row.grade !== undefined) { why.appendChild(element("p", "", "Letter grade: " + (row.grade || "none"))); }
      tr.appendChild(why);
      body.appendChild(tr);
    });
    table.appendChild(body);
    output.replaceChildren(table);
  }

  function showContrast(checks) {
    var list = element("ul", "levels");
    checks.forEach(function (check) {
      var item = element("li");
      item.appendChild(badge(check.label, check.colour, check.text_colour));
      item.appendChild(document.createTextNode(" white text " + check.ratio_with_white + ":1 "));
      item.appendChild(check.passes ? document.createTextNode("✓") : element("span", "warning", "too low"));
      list.appendChild(item);
    });
    contrastOutput.replaceChildren(list);
  }

  function showError(message) {
    output.replaceChildren(element("p", "error", message));
  }

  function refresh() {
    var request = ++latest;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      headers: {
        "Authorization": "Bearer " + form.dataset.token,
        "Content-Type": "application/json",
        "Accept": "application/json"
      },
      body: JSON.stringify(fields())
    }).then(function (response) {
      return response.json().then(function (payload) { return { ok: response.ok, payload: payload }; });
    }).then(function (answer) {
      if (request !== latest) { return; }  // a newer edit already asked again
      if (!answer.ok) {
        showError(answer.payload.error ? answer.payload.error.message : "The preview is not available.");
        return;
      }
      showResults(answer.payload);
      if (contrastOutput && answer.payload.contrast) { showContrast(answer.payload.contrast); }
    }).catch(function () {
      if (request === latest) { showError("The preview is not available right now."); }
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
}());
