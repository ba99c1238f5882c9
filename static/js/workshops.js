// The workshop board swaps only its list region. The drafting forms stay as they are (nobody loses what
// they type); this copies the current draft objectives into their "objective" selects, keeping the choice.
(function () {
  function syncObjectiveSelects() {
    var template = document.getElementById("draft-objective-options");
    if (!template) return;
    var fresh = Array.prototype.map.call(template.content.querySelectorAll("option"), function (o) {
      return [o.value, o.textContent];
    });
    document.querySelectorAll("select[data-draft-objectives]").forEach(function (select) {
      var current = Array.prototype.map.call(select.options, function (o) { return [o.value, o.textContent]; });
      if (JSON.stringify(current) === JSON.stringify(fresh)) return;
      var chosen = select.value;
      select.replaceChildren.apply(select, fresh.map(function (pair) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        return option;
      }));
      if (fresh.some(function (pair) { return pair[0] === chosen; })) select.value = chosen;
      // Right after adding an objective, its key results and initiatives go under it (also after a reset).
      var created = template.dataset.created;
      if (created && fresh.some(function (pair) { return pair[0] === created; })) {
        select.value = created;
        Array.prototype.forEach.call(select.options, function (o) { o.defaultSelected = o.value === created; });
      }
    });
  }
  document.addEventListener("htmx:afterSettle", syncObjectiveSelects);
  document.addEventListener("DOMContentLoaded", syncObjectiveSelects);

  // After a saved draft (the server's HX-Trigger "okr-saved" fires on the form that posted), empty the form
  // and whatever it names in data-clear-on-saved. Here, not in hx-on attributes: the CSP allows no inline code.
  document.addEventListener("okr-saved", function (event) {
    var form = event.target.closest && event.target.closest("form[data-reset-on-saved]");
    if (!form) return;
    form.reset();
    var clear = form.getAttribute("data-clear-on-saved");
    if (clear && document.getElementById(clear)) document.getElementById(clear).replaceChildren();
  });
  // "Cancel" in the inline editor closes it; without JavaScript the link goes back to the board.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-close-editor]");
    var editor = document.getElementById("board-editor");
    if (!link || !editor) return;
    event.preventDefault();
    editor.replaceChildren();
  });
})();
