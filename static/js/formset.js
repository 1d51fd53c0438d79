// "Add a row" for a Django formset, the standard way: the formset's empty form waits in
// <template data-formset-template="PREFIX">; a click on <button data-formset-add="PREFIX">
// copies it into <tbody data-formset-rows="PREFIX"> as the next numbered form and counts it
// in the management form's TOTAL_FORMS, so the server reads the new row with the others.
"use strict";

document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-formset-add]");
  if (!button) {
    return;
  }
  const prefix = button.dataset.formsetAdd;
  const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  const maximum = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
  const template = document.querySelector('template[data-formset-template="' + prefix + '"]');
  const rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
  const index = Number(total.value);
  if (maximum && index >= Number(maximum.value)) {
    button.disabled = true;
    return;
  }
  rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
  total.value = String(index + 1);
  const first = rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
  if (first) {
    first.focus();
  }
});
