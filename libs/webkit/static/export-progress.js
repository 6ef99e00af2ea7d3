// The export job's page, progressively enhanced (AU-04, WEB-01): without JavaScript it reloads
// itself (a meta refresh inside noscript); with it, it fetches itself in the background and
// swaps in the status region, which aria-live reads out, and once the file is ready the
// download button. A whole-page refresh would move focus and the reading position every few
// seconds, which is why axe refuses a meta refresh (WCAG 2.2.1).
"use strict";
(function () {
  var region = document.getElementById("job");
  var actions = document.getElementById("job-actions");
  var seconds = region ? Number(region.getAttribute("data-refresh")) : 0;
  if (!region || !actions || !seconds || !window.fetch || !window.DOMParser) { return; }
  function later() { window.setTimeout(poll, seconds * 1000); }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        var page = html && new DOMParser().parseFromString(html, "text/html");
        var fresh = page && page.getElementById("job");
        if (!fresh) { later(); return; }
        region.innerHTML = fresh.innerHTML;
        actions.innerHTML = page.getElementById("job-actions").innerHTML;
        if (fresh.getAttribute("data-refresh")) { later(); }
      })
      .catch(later);
  }
  later();
})();
