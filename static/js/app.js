// Behaviour shared by every page. Scripts live in static files only: the
// Content-Security-Policy forbids inline scripts.
"use strict";

// Ask before a destructive action: <form data-confirm="Archive this freelancer?">
document.addEventListener("submit", function (event) {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A field that chooses a freelancer by typing (freelancers/fields.py): as the person
// types, fetch the matching names into the field's list of suggestions.
document.querySelectorAll("input[data-freelancer-names]").forEach(function (input) {
  const suggestions = document.getElementById(input.getAttribute("list"));
  let waiting = null;
  input.addEventListener("input", function () {
    window.clearTimeout(waiting);
    const typed = input.value.trim();
    if (!suggestions || typed.length < 1 || typed.includes("<")) {
      return;
    }
    waiting = window.setTimeout(function () {
      const url = new URL(input.dataset.freelancerNames, window.location.origin);
      url.searchParams.set("q", typed);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          suggestions.replaceChildren(
            ...data.results.map(function (name) {
              const option = document.createElement("option");
              option.value = name;
              return option;
            })
          );
        })
        .catch(function () {});
    }, 150);
  });
});
