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
