// The team pickers: the dashboard's scope (templates/dashboards/_team_picker.html: its matches are links that
// htmx follows) and every form field that chooses a team (templates/teams/_team_field.html: its matches are
// buttons that set the field). Each field names its list of matches with aria-controls; the list is marked
// data-team-picker-results. ↓ from the field goes to the first match, ↓ and ↑ move between the matches, ↑
// from the first and Escape go back to the field; Tab reaches them as links and buttons do.
// In a static file, not inline: the CSP allows no inline code.
(function () {
  var DELAY = 250;
  var chosen = false;

  function listOf(field) {
    var id = field && field.getAttribute("aria-controls");
    var list = id ? document.getElementById(id) : null;
    return list && list.hasAttribute("data-team-picker-results") ? list : null;
  }
  function fieldOf(list) {
    return list ? document.querySelector('[aria-controls="' + list.id + '"]') : null;
  }
  function items(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll("a[href], button")) : [];
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (!(target instanceof Element)) return;
    var ownList = listOf(target);
    if (ownList) {
      var first = items(ownList)[0];
      if (event.key === "ArrowDown" && first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    var list = target.closest("[data-team-picker-results]");
    if (!list) return;
    var links = items(list);
    var index = links.indexOf(target);
    if (index < 0) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      (links[index + 1] || links[index]).focus();
    } else if (event.key === "ArrowUp" || event.key === "Escape") {
      event.preventDefault();
      (event.key === "ArrowUp" && index > 0 ? links[index - 1] : fieldOf(list)).focus();
    }
  });

  // The dashboard: after a match is chosen, htmx swaps the dashboard and the keyboard comes back to the field.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = document.getElementById("team-picker-results");
    chosen = Boolean(list && list.contains(event.target));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!chosen || !event.target || event.target.id !== "dashboard-content") return;
    chosen = false;
    var field = document.getElementById("team-picker-input");
    if (field) field.focus({ preventScroll: true });
  });

  // A form's team field: typing asks the field's endpoint for the first matches of the teams that form may
  // choose, and forgets a team chosen before (the server then reads the typed name).
  var timers = new WeakMap();
  var requests = new WeakMap();
  function box(field) {
    return field.closest("[data-team-field]");
  }
  function statusOf(field) {
    return document.getElementById(field.id + "-status");
  }
  function show(field, data) {
    var list = listOf(field);
    if (!list) return;
    list.textContent = "";
    data.matches.forEach(function (match) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "team-picker-match";
      button.setAttribute("data-team-slug", match.slug);
      button.setAttribute("data-team-name", match.name);
      if (match.path) {
        var path = document.createElement("span");
        path.className = "team-picker-path";
        path.textContent = match.path + " ›";
        button.appendChild(path);
      }
      var name = document.createElement("span");
      name.className = "team-picker-name";
      name.textContent = match.name;
      button.appendChild(name);
      item.appendChild(button);
      list.appendChild(item);
    });
    var status = statusOf(field);
    if (status) status.textContent = data.status;
  }
  function search(field) {
    var url = field.getAttribute("data-team-search-url");
    var previous = requests.get(field);
    if (previous) previous.abort();
    var query = field.value.trim();
    if (!query) {
      show(field, { matches: [], status: "" });
      return;
    }
    var controller = new AbortController();
    requests.set(field, controller);
    fetch(url + "&q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && field.value.trim() === query) show(field, data);
      })
      .catch(function () {});
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.hasAttribute("data-team-search-url")) return;
    var container = box(field);
    var value = container && container.querySelector("[data-team-value]");
    if (value) value.value = "";
    var choices = container && container.querySelector("[data-team-field-choices]");
    if (choices) choices.remove();
    clearTimeout(timers.get(field));
    timers.set(field, setTimeout(function () { search(field); }, DELAY));
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-team-slug]");
    if (!button) return;
    var list = button.closest("[data-team-picker-results]");
    var field = fieldOf(list);
    var container = field && box(field);
    if (!container) return;
    container.querySelector("[data-team-value]").value = button.getAttribute("data-team-slug");
    field.value = button.getAttribute("data-team-name");
    clearTimeout(timers.get(field));
    show(field, { matches: [], status: field.getAttribute("data-team-chosen").replace("{team}", field.value) });
    field.focus();
  });
})();
