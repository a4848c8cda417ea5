// Small behaviours without inline scripts (the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var toast = button.closest(".toast");
      if (toast) toast.remove();
    }
  });
  // Toasts fade away on their own after a while.
  function scheduleToasts(root) {
    root.querySelectorAll(".toast:not([data-timed])").forEach(function (toast) {
      toast.setAttribute("data-timed", "1");
      setTimeout(function () { toast.remove(); }, 8000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scheduleToasts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { scheduleToasts(document); });
})();
