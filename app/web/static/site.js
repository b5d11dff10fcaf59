// Progressive enhancement only: every page works without this file.
// "Add a row" buttons for the repeated rows of the decision form: a copy of the last row,
// emptied and renumbered (regulators.2.role -> regulators.3.role).
(function () {
  "use strict";
  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
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
    button.textContent = "Add a row";
    button.addEventListener("click", function () {
      var rows = fieldset.querySelectorAll(".row");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); });
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
