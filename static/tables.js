// A wide table scrolls in its own box on a narrow screen: such a box can be reached and scrolled with the
// keyboard (tabindex) and is named for screen readers by its caption or the heading before it.
(function () {
  function mark() {
    document.querySelectorAll("main table.data, main table.glance, main .scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        var caption = box.querySelector("caption");
        var heading = box.previousElementSibling;
        var name = caption ? caption.textContent : heading && /^H[1-6]$/.test(heading.tagName) ? heading.textContent : "Table";
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", name.trim() + " (scrolls sideways)");
        }
        if (box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
        }
      } else if (!scrolls && box.getAttribute("tabindex") === "0" && box.dataset.scrollMarked) {
        box.removeAttribute("tabindex");
      }
      if (scrolls) {
        box.dataset.scrollMarked = "1";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
}());

// A table stacked into cards on a phone (app.css, table.stack and table.phone-tiles) is drawn without table display, which
// makes some browsers drop its table semantics: its roles say what it is, whatever its display.
(function () {
  var ROLES = [["thead, tbody, tfoot", "rowgroup"], ["tr", "row"], ["td", "cell"]];
  function keep() {
    document.querySelectorAll("main table.stack, main table.phone-tiles").forEach(function (table) {
      table.setAttribute("role", "table");
      ROLES.forEach(function (pair) {
        table.querySelectorAll(pair[0]).forEach(function (el) { el.setAttribute("role", pair[1]); });
      });
      table.querySelectorAll("th").forEach(function (th) {
        var scope = th.getAttribute("scope");
        th.setAttribute("role", scope === "row" ? "rowheader" : "columnheader");
      });
    });
  }
  document.addEventListener("DOMContentLoaded", keep);
}());
