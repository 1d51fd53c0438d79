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
