// The admin export page's "Select all" box ticks or clears every column to export.
// Wired here because the Content-Security-Policy blocks inline event handlers.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const toggle = document.getElementById("select-all-toggle");
  if (!toggle) {
    return;
  }
  toggle.addEventListener("change", function () {
    document.querySelectorAll(".selectable-field-export-row input[type=checkbox]").forEach(function (box) {
      box.checked = toggle.checked;
    });
  });
});
