// The admin token: entered once per browser tab and kept in sessionStorage only, so it is gone when
// the tab closes and never shared with other tabs or written to disk the way localStorage is. It is
// cleared from the field once the worker accepted it, and only ever leaves the page as the Bearer
// token of API calls (api.js). A refused token stays in the field, so a typo can be corrected
// instead of typed again.

const STORAGE_KEY = "servicenow-connection.adminToken";

// Used only where the browser refuses sessionStorage: then the token lasts for this page load.
let memoryToken = null;

export function readAdminToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled by the browser's settings; the page then asks on every load.
    return memoryToken;
  }
}

function storeAdminToken(token) {
  memoryToken = token;
  try {
    if (token === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // See readAdminToken: the in-memory copy serves this page load.
  }
}

/**
 * Wires the token form. `onChange(hasToken)` runs after the token was set or forgotten;
 * `confirmForget()` may refuse "Forget token" (unsaved edits the person wants to keep).
 * Returns `{ accepted(), refuse(message), showProblem(message) }`.
 */
export function setUpAdminToken({ onChange, confirmForget = async () => true }) {
  const form = document.getElementById("admin-form");
  const input = document.getElementById("admin-token");
  const signedIn = document.getElementById("admin-signed-in");
  const forget = document.getElementById("admin-forget");
  const error = document.getElementById("admin-error");

  function render() {
    const hasToken = Boolean(readAdminToken());
    form.hidden = hasToken;
    signedIn.hidden = !hasToken;
  }

  function showProblem(message) {
    error.textContent = message;
    error.hidden = message === "";
    input.setAttribute("aria-invalid", message === "" ? "false" : "true");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === "") {
      showProblem("Enter the admin token.");
      input.focus();
      return;
    }
    storeAdminToken(token);
    showProblem("");
    render();
    onChange(true);
  });

  forget.addEventListener("click", async () => {
    if (!(await confirmForget())) return;
    storeAdminToken(null);
    render();
    onChange(false);
    input.focus();
  });

  render();
  // The form works from here on (see index.html).
  document.getElementById("admin-controls").disabled = false;
  return {
    /** The worker accepted the token: it leaves the field (it is in this tab's storage now). */
    accepted() {
      input.value = "";
    },
    /**
     * Drops the token (it was refused) and asks for it again with `message`. What was typed stays
     * in the field for correcting.
     */
    refuse(message) {
      storeAdminToken(null);
      render();
      showProblem(message);
      input.focus();
    },
    /** The admin API cannot be used whatever the token (e.g. not configured): say so, keep the form. */
    showProblem,
  };
}
