// The reset-password and verify-email pages (auth_service/pages). No inline script: the gateway's
// Content-Security-Policy on these pages allows scripts from this origin only.
"use strict";

(function () {
  const status = document.getElementById("status");
  const page = document.body.dataset.page;

  function say(text, outcome) {
    status.textContent = text;
    status.dataset.outcome = outcome;
  }

  // Errors are RFC 9457 problems: a validation error lists its problems in `errors` (the first one's
  // message is what the reader can act on); any other says it in `detail`.
  function detail(body, fallback) {
    if (body && Array.isArray(body.errors) && body.errors.length) return body.errors[0].msg || fallback;
    if (body && typeof body.detail === "string") return body.detail;
    return fallback;
  }

  async function post(path, payload) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, application/problem+json" },
      credentials: "omit",
      body: JSON.stringify(payload),
    });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    return { ok: response.ok, body: body };
  }

  // The token is read once, then taken out of the address bar (and the history).
  const token = new URLSearchParams(window.location.search).get("token");
  if (token) window.history.replaceState(null, "", window.location.pathname);
  if (!token) {
    say("This link has no token. Open the link from the e-mail again, or ask for a new one.", "error");
    return;
  }

  if (page === "reset-password") {
    const form = document.getElementById("reset-form");
    const password = document.getElementById("new-password");
    const again = document.getElementById("confirm-password");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (password.value !== again.value) {
        say("The two passwords differ.", "error");
        return;
      }
      form.querySelector("button").disabled = true;
      try {
        const result = await post("/api/v1/auth/password/reset", { token: token, new_password: password.value });
        if (result.ok) {
          form.hidden = true;
          say("Your password is changed. Sign in with the new one.", "ok");
        } else {
          say(detail(result.body, "The password could not be changed."), "error");
          form.querySelector("button").disabled = false;
        }
      } catch (_) {
        say("The server could not be reached. Try again in a moment.", "error");
        form.querySelector("button").disabled = false;
      }
    });
  } else if (page === "verify-email") {
    say("Confirming your address …", "pending");
    post("/api/v1/auth/verify", { token: token })
      .then((result) => {
        if (result.ok) {
          const email = result.body && result.body.email ? result.body.email : "Your e-mail address";
          say(`${email} is confirmed. Thank you!`, "ok");
        } else {
          say(detail(result.body, "The address could not be confirmed."), "error");
        }
      })
      .catch(() => say("The server could not be reached. Reload the page to try again.", "error"));
  }
})();
