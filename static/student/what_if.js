// "What if": ask the engine through the JSON API and show the hypothetical result without reloading.
// Without JavaScript the form still works as a plain GET that renders the same result on the page.
(function () {
  "use strict";
  var form = document.querySelector(".what-if-form");
  var output = document.getElementById("what-if-result");
  if (!form || !output || !window.fetch) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var select = form.querySelector("select");
    var url = form.getAttribute("data-api");
    var lang = form.querySelector("input[name=lang]");
    if (lang) { url += "?lang=" + encodeURIComponent(lang.value); }
    fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "Authorization": "Bearer " + form.getAttribute("data-token")},
      body: JSON.stringify({points: parseFloat(select.value)})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (reply) {
      output.hidden = false;
      output.textContent = "";
      if (!reply.ok) {
        var problem = document.createElement("p");
        problem.textContent = (reply.data.error && reply.data.error.message) || "Error";
        output.appendChild(problem);
        return;
      }
      var tag = document.createElement("p");
      tag.className = "hypothetical-tag";
      var strong = document.createElement("strong");
      strong.textContent = output.getAttribute("data-tag");
      tag.appendChild(strong);
      output.appendChild(tag);
      var summary = document.createElement("p");
      summary.textContent = reply.data.summary;
      output.appendChild(summary);
      var list = document.createElement("ol");
      list.className = "explanation";
      reply.data.explanation.forEach(function (sentence) {
        var item = document.createElement("li");
        item.textContent = sentence;
        list.appendChild(item);
      });
      output.appendChild(list);
    });
  });
})();
