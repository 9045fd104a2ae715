// The access keys of the open connection (the worker's `…/keys` routes): the list with each key's
// name, scope (methods and API paths), when it was created, until when it works and when it was last
// used; a form to create one; and revoking, after a confirmation, since every application holding the
// key stops working at once. A new key is in the worker's answer to its creation only, so the page
// shows it once, with Copy, and drops it from the page when the person says they have it, when another
// connection opens, or when the page is left (with a warning first). Nothing else of a key is ever
// readable here: the listing has no secrets.

import { confirmAction } from "./confirm-dialog.js";
import { focusFirst } from "./focus.js";
import { timeElement } from "./token-state.js";

const byId = (id) => document.getElementById(id);

/** The form's fields, by the name the worker's field errors use. */
const FIELD_SLOTS = { name: "key-name", methods: "key-methods", paths: "key-paths", expiresAt: "key-expires" };

function say(id, text, tone = "") {
  const element = byId(id);
  element.textContent = text;
  element.className = `message${tone ? ` ${tone}` : ""}`;
}

/** The end of `yyyy-mm-dd` in the reader's time zone, in ms; null for an empty field. */
function endOfDay(value) {
  if (!value) return null;
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + 1).getTime() - 1;
}

function scopeText(key) {
  const methods = key.methods === null ? "Any method" : key.methods.join(", ");
  const paths = key.paths === null ? "any API path" : key.paths.join(", ");
  return `${methods} · ${paths}`;
}

export function setUpAccessKeys({ api }) {
  const section = byId("keys");
  const list = byId("key-list");
  const form = byId("key-form");
  let connectionId = null;
  let keys = [];
  // Each load gets a number; an answer for an earlier connection is dropped.
  let loading = 0;

  function showFieldErrors(errors) {
    const shown = new Set();
    for (const [field, slotId] of Object.entries(FIELD_SLOTS)) {
      const error = errors.find((candidate) => candidate.field === field);
      const slot = byId(`${slotId}-error`);
      slot.textContent = error?.message ?? "";
      slot.hidden = !error;
      const input = byId(slotId);
      if (input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement) {
        input.setAttribute("aria-invalid", error ? "true" : "false");
      }
      if (error) shown.add(field);
    }
    return shown;
  }

  function focusFirstError() {
    for (const [field, slotId] of Object.entries(FIELD_SLOTS)) {
      if (byId(`${slotId}-error`).hidden) continue;
      const target = field === "methods" ? form.querySelector('input[name="method"]') : byId(slotId);
      target.focus();
      return;
    }
  }

  function item(key) {
    const li = document.createElement("li");
    li.className = "key-item";
    li.dataset.keyId = key.id;
    const name = document.createElement("p");
    name.className = "key-name";
    name.id = `key-${key.id}-name`;
    name.textContent = key.name;
    const scope = document.createElement("p");
    scope.className = "key-scope";
    scope.textContent = scopeText(key);
    const times = document.createElement("p");
    times.className = "key-times hint";
    times.append("Created ", timeElement(key.createdAt), " · ");
    if (key.expiresAt === null) times.append("no expiry");
    else times.append(key.expiresAt <= Date.now() ? "expired " : "valid until ", timeElement(key.expiresAt));
    times.append(" · ");
    if (key.lastUsedAt === null) times.append("never used");
    else times.append("last used ", timeElement(key.lastUsedAt));
    const revoke = document.createElement("button");
    revoke.type = "button";
    revoke.className = "danger key-revoke";
    revoke.textContent = "Revoke";
    revoke.setAttribute("aria-describedby", name.id);
    revoke.addEventListener("click", () => revokeKey(key, revoke));
    li.append(name, scope, times, revoke);
    return li;
  }

  function render() {
    list.replaceChildren(...keys.map(item));
    byId("key-list-empty").hidden = keys.length > 0;
    byId("keys-count").textContent = `(${keys.length})`;
  }

  async function load() {
    loading += 1;
    const number = loading;
    const id = connectionId;
    try {
      const loaded = await api.listKeys(id);
      if (number !== loading) return;
      keys = loaded;
      render();
    } catch (error) {
      if (number === loading && !error.isAdminProblem) say("keys-status", `The access keys could not be loaded: ${error.message}`, "error");
    }
  }

  function hideNewKey() {
    byId("new-key-value").value = "";
    byId("new-key-name").textContent = "";
    byId("new-key").hidden = true;
    say("copy-key-status", "");
  }

  function resetForm() {
    form.reset();
    showFieldErrors([]);
  }

  /** The create body from the form, or null with the errors shown. */
  function readForm() {
    const name = byId("key-name").value.trim();
    const methods = [...form.querySelectorAll('input[name="method"]:checked')].map((box) => box.value);
    const paths = byId("key-paths").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const expiresAt = endOfDay(byId("key-expires").value);
    const errors = [];
    if (name === "") errors.push({ field: "name", message: "Key name is required: say which application uses the key." });
    if (expiresAt !== null && expiresAt <= Date.now()) errors.push({ field: "expiresAt", message: "Valid until must be today or later." });
    showFieldErrors(errors);
    if (errors.length > 0) return null;
    return {
      name,
      methods: methods.length > 0 ? methods : null,
      paths: paths.length > 0 ? paths : null,
      expiresAt,
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say("keys-status", "");
    const body = readForm();
    if (!body) {
      focusFirstError();
      return;
    }
    const id = connectionId;
    const button = byId("create-key");
    button.disabled = true;
    let created;
    try {
      created = await api.createKey(id, body);
    } catch (error) {
      if (error.status === 422) {
        const errors = error.errors.length > 0 ? error.errors : [{ field: error.field, message: error.message }];
        const shown = showFieldErrors(errors);
        const rest = errors.filter((problem) => !shown.has(problem.field)).map((problem) => problem.message).join(" ");
        if (rest) say("keys-status", rest, "error");
        focusFirstError();
      } else if (!error.isAdminProblem) {
        say("keys-status", `The key was not created: ${error.message}`, "error");
      }
      return;
    } finally {
      button.disabled = false;
    }
    if (id !== connectionId) return;
    byId("new-key-name").textContent = created.name;
    byId("new-key-value").value = created.key;
    byId("new-key").hidden = false;
    resetForm();
    const { key: _shownOnce, ...listed } = created;
    keys = [listed, ...keys];
    render();
    byId("copy-key").focus();
  });

  byId("copy-key").addEventListener("click", async () => {
    const field = byId("new-key-value");
    try {
      await navigator.clipboard.writeText(field.value);
      say("copy-key-status", "Key copied.", "ok");
    } catch {
      field.focus();
      field.select();
      say("copy-key-status", "Copying is not allowed here: the key is selected, press Ctrl+C (⌘C) to copy it.");
    }
  });

  byId("new-key-done").addEventListener("click", () => {
    hideNewKey();
    byId("key-name").focus();
  });

  async function revokeKey(key, button) {
    const confirmed = await confirmAction({
      title: `Revoke "${key.name}"?`,
      text: "Every application that uses this key is refused from its next request on. This cannot be undone: a new key has to be created and handed out.",
      confirmLabel: "Revoke key",
    });
    if (!confirmed) return;
    const index = keys.findIndex((candidate) => candidate.id === key.id);
    button.disabled = true;
    try {
      await api.revokeKey(connectionId, key.id);
    } catch (error) {
      button.disabled = false;
      // Revoked elsewhere meanwhile: the list was out of date, which the reload below mends.
      if (error.status !== 404) {
        if (!error.isAdminProblem) say("keys-status", `The key was not revoked: ${error.message}`, "error");
        return;
      }
    }
    keys = keys.filter((candidate) => candidate.id !== key.id);
    render();
    say("keys-status", `Key "${key.name}" was revoked.`, "ok");
    // Focus goes to the key that took its place, else the form.
    const next = list.children[Math.min(index, list.children.length - 1)];
    focusFirst([next?.querySelector(".key-revoke"), "key-name"]);
  }

  return {
    /** Shows the keys of the saved connection `id`. */
    open(id) {
      if (id !== connectionId) {
        hideNewKey();
        resetForm();
        say("keys-status", "");
        keys = [];
        render();
      }
      connectionId = id;
      section.hidden = false;
      load();
    },
    /** Hides the section (a new, unsaved connection has no keys) and forgets any key on screen. */
    close() {
      loading += 1;
      connectionId = null;
      hideNewKey();
      resetForm();
      section.hidden = true;
    },
    /** Whether a new key is still on screen (leaving the page would lose it). */
    get showsNewKey() {
      return !byId("new-key").hidden;
    },
  };
}
