// The admin's periodic task form says the chosen crontab schedule in words under the field.
// A static file because the Content-Security-Policy blocks inline scripts.
"use strict";

(function () {
  const crontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  document.querySelectorAll(".field-crontab_translation").forEach(function (row) {
    row.style.display = "none";
  });
  if (!select || !help) {
    return;
  }
  const words = document.createElement("div");
  help.append(words);
  select.addEventListener("change", function () {
    words.textContent = crontabs[select.value] ? "Translation: " + crontabs[select.value] : "";
  });
})();
