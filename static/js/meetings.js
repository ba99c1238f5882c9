// The team meeting: ← and → move between key results in the presenter view (by clicking its links, so htmx
// swaps the slide without a page reload); a saved note, decision or action empties its form. In a static file,
// not inline: the CSP allows no inline code.
(function () {
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }
  // A key pressed while a slide is on its way waits for it: the new slide's links are htmx's only once it has
  // settled, and a click before that would load the whole page.
  var moving = false;
  var pending = [];
  function go(id) {
    if (moving) { pending.push(id); return; }
    var link = document.getElementById(id);
    if (link) link.click();
    else pending = []; // the first or the last slide: the keys after it go nowhere
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var id = event.key === "ArrowLeft" ? "slide-prev" : event.key === "ArrowRight" ? "slide-next" : null;
    if (!id || (!moving && !document.getElementById(id))) return;
    event.preventDefault();
    go(id);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var id = event.target && event.target.id;
    if (id === "slide-prev" || id === "slide-next") moving = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) { moving = false; pending = []; }
  });
  // After a swap of the slide, keep the keyboard where it was: on the progress indicator, not lost on <body>.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "slide") {
      var progress = document.getElementById("slide-progress");
      if (progress) { progress.setAttribute("tabindex", "-1"); progress.focus({ preventScroll: true }); }
      moving = false;
      if (pending.length) go(pending.shift());
    }
  });
  document.addEventListener("meeting-saved", function (event) {
    var form = event.target.closest && event.target.closest("form[data-reset-on-saved]");
    if (!form) return;
    form.reset();
    var errors = form.querySelector("[id$='-errors']");
    if (errors) errors.replaceChildren();
  });
})();
