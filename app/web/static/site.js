// Progressive enhancement only: every page works without this file.
// "Add a row" buttons for the repeated rows of the decision form: a copy of the last row,
// emptied and renumbered (regulators.2.role -> regulators.3.role).
(function () {
  "use strict";
  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for], [aria-describedby], [list]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby", "list"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/([.-])\d+([.-])/, "$1" + index + "$2"));
        }
      });
    });
  }
  document.querySelectorAll("fieldset.rows").forEach(function (fieldset) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "add-row";
    // The page gives the words, in its language (data-add-row on the fieldset).
    button.textContent = fieldset.getAttribute("data-add-row") || "Add a row";
    button.addEventListener("click", function () {
      var rows = fieldset.querySelectorAll(".row");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll("input:not([type=checkbox]), textarea").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); });
      copy.querySelectorAll("input[type=checkbox]").forEach(function (el) { el.checked = false; });
      copy.querySelectorAll("datalist").forEach(function (el) { el.textContent = ""; });
      copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; el.removeAttribute("aria-invalid"); });
      renumber(copy, rows.length);
      last.after(copy);
      var first = copy.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
    fieldset.appendChild(button);
  });
})();
// On paper every folded history is shown: open the closed <details> for printing, and
// close again the ones that were closed.
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();

// Choosers: a text field naming a record (typed name, alias or id; the server resolves it
// without this script) gets suggestions as one types, from /api/v1/suggest, in its datalist.
// One listener for the whole page, so rows added later get suggestions too.
(function () {
  "use strict";
  var timers = new WeakMap();
  var asked = new WeakMap();
  function fill(list, items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.value;
      list.appendChild(option);
    });
  }
  function ask(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var q = input.value.trim();
    if (!list || q === asked.get(input)) { return; }
    asked.set(input, q);
    if (!q || /\(#\d+\)$/.test(q)) { fill(list, []); return; }
    var url = "/api/v1/suggest?kind=" + encodeURIComponent(input.dataset.suggest) +
      "&q=" + encodeURIComponent(q) + "&limit=10";
    fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { if (input.value.trim() === q) { fill(list, body.items); } })
      .catch(function () { /* suggestions are a convenience; the field works without them */ });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.suggest) { return; }
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { ask(input); }, 150));
  });
})();

// The review page: keys 1 to 6 choose a status, Enter saves and opens the next reading, j and
// k move to the next and the previous one (the page's buttons do the same without this).
// Keys typed into the note are left alone; Ctrl+Enter saves from there.
(function () {
  "use strict";
  var form = document.querySelector("form[data-review]");
  if (!form) { return; }
  function typing(el) {
    if (!el) { return false; }
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) { return true; }
    return el.tagName === "INPUT" && !/^(radio|checkbox|submit|button|hidden)$/.test(el.type);
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.contains(target)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) { return; }
    if (/^[1-9]$/.test(event.key)) {
      var choice = form.querySelector('input[type=radio][data-key="' + event.key + '"]');
      if (choice) {
        event.preventDefault();
        choice.checked = true;
        choice.focus();
      }
    } else if (event.key === "Enter") {
      if (target && (target.tagName === "BUTTON" || target.tagName === "A")) { return; }
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "j" || event.key === "k") {
      var button = document.querySelector('[data-nav="' + (event.key === "j" ? "next" : "prev") + '"]');
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });
})();
