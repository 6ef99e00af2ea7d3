// The ops dashboard's live feed (WEB-02): each access record from the page's server-sent
// events goes on top of the table, and the counters follow. Text only, never HTML.
"use strict";
(function () {
  var table = document.getElementById("records");
  var source = table && table.getAttribute("data-events");
  if (!source || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var columns = ["at", "login_id", "user_name", "operation", "kind", "ip"];
  var events = new EventSource(source);
  events.addEventListener("record", function (event) {
    var record = JSON.parse(event.data);
    var line = document.createElement("tr");
    columns.forEach(function (name) {
      var cell = document.createElement("td");
      cell.textContent = record[name];
      line.appendChild(cell);
    });
    body.insertBefore(line, body.firstChild);
    while (body.rows.length > 200) { body.deleteRow(body.rows.length - 1); }
  });
  events.addEventListener("counters", function (event) {
    var counts = JSON.parse(event.data);
    Object.keys(counts).forEach(function (kind) {
      var cell = document.getElementById("count-" + kind);
      if (cell) { cell.textContent = String(counts[kind]); }
    });
  });
})();
