// The waiting screen's progressive enhancement (ID-MAIL-02): without JavaScript the page
// reloads itself (its meta refresh) and the person presses 「ログインを完了する」; with it, the
// page listens to its server-sent events and completes the login as soon as the link is used.
"use strict";
(function () {
  var form = document.getElementById("complete-form");
  var screen = document.getElementById("waiting");
  var source = screen && screen.getAttribute("data-events");
  if (!form || !source || !window.EventSource) { return; }
  var events = new EventSource(source);
  events.addEventListener("ready", function () {
    events.close();
    form.submit();
  });
})();
