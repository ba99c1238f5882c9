// The team picker (templates/dashboards/_team_picker.html): ↓ from the field goes to the first match, ↓ and ↑
// move between the matches, ↑ from the first and Escape go back to the field; Tab reaches them as links do.
// After a match is chosen, htmx swaps the dashboard and the keyboard comes back to the field (not <body>).
// In a static file, not inline: the CSP allows no inline code.
(function () {
  var FIELD = "team-picker-input";
  var chosen = false;
  function matches() {
    var list = document.getElementById("team-picker-results");
    return list ? Array.prototype.slice.call(list.querySelectorAll("a[href]")) : [];
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var links = matches();
    var index = links.indexOf(target);
    var field = document.getElementById(FIELD);
    if (target === field && event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[0].focus();
    } else if (index >= 0 && event.key === "ArrowDown") {
      event.preventDefault();
      (links[index + 1] || links[index]).focus();
    } else if (index >= 0 && (event.key === "ArrowUp" || event.key === "Escape")) {
      event.preventDefault();
      (event.key === "ArrowUp" && index > 0 ? links[index - 1] : field).focus();
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = document.getElementById("team-picker-results");
    chosen = Boolean(list && list.contains(event.target));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!chosen || !event.target || event.target.id !== "dashboard-content") return;
    chosen = false;
    var field = document.getElementById(FIELD);
    if (field) field.focus({ preventScroll: true });
  });
})();
