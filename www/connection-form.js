// The connection editor's form: it reads what is entered, fills itself from the worker's masked view
// of a connection, validates as you type (validation.js, the core's rules) and puts each error next
// to its field, linked by aria-describedby and marked aria-invalid, with a count on the tab that
// holds it. A field's errors show once the person has left it, or paused typing in it for a moment,
// and for all fields after Save, Test Connection or Generate was pressed: a half-typed "h" is not an
// error yet, and a new, empty form does not greet anyone in red. Once a field shows an error, the
// error follows every keystroke, so it goes away the moment the value is right. OAuth 2.0 URLs on
// another host than the instance get a warning next to them, which never blocks saving.
//
// Secrets ("Click to Set"): Password and Client Secret are write-only. The form never receives them
// (the view says only `{set: true|false}`), shows "Set" or "Not set", and offers a text box only
// after "Click to Set" was pressed; only a value typed there is sent, and it is wiped from the page
// as soon as the save succeeded or the box is cancelled (Cancel or Escape). An untouched secret
// keeps the stored one.

import { defaultOAuthUrls, otherHostWarnings, suggestId, validateConnection } from "./validation.js";
import { workerCallbackUrl } from "./worker-info.js";

const SECRET_FIELDS = ["password", "clientSecret"];
/** Settings the form edits, per authentication type (the worker keeps exactly these, plus extras). */
const FORM_SETTINGS = {
  basic: ["baseUrl", "username"],
  oauth2: ["baseUrl", "clientId", "authorizationUrl", "tokenUrl"],
};
const SECRET_FOR = { basic: "password", oauth2: "clientSecret" };
/** Where each field lives: its error goes there, and that tab gets the error count. */
const PANEL_OF = {
  baseUrl: "panel-connection",
  authType: "panel-connection",
  username: "panel-connection",
  password: "panel-connection",
  clientId: "panel-oauth",
  clientSecret: "panel-oauth",
  authorizationUrl: "panel-oauth",
  tokenUrl: "panel-oauth",
};
/** Settings a connection can have that this form does not edit (set through the API); kept as they are. */
const KEPT_SETTINGS = ["timeoutMs", "clientAuthentication", "refreshTokenLifetimeSeconds"];
/** How long typing may pause before the field's errors show: long enough not to interrupt a word. */
export const TYPING_PAUSE_MS = 1000;
const WARNING_FIELDS = ["authorizationUrl", "tokenUrl"];

const byId = (id) => document.getElementById(id);

/** The DOM id of a field's input (the connection id's input is not called "id"). */
const domId = (field) => (field === "id" ? "connection-id" : field);

export function setUpConnectionForm({ tabs, onInput }) {
  const form = byId("connection-form");
  const nameInput = byId("name");
  const idInput = byId("connection-id");
  const authRadios = [...form.querySelectorAll('input[name="authType"]')];

  let isNew = true;
  let view = null;
  let keptSettings = {};
  let idEdited = false;
  let showAll = false;
  let snapshot = "";
  // Nothing was loaded yet (the page is starting): nothing can differ from it.
  let loaded = false;
  const touched = new Set();
  // Fields being typed in, with the timer that marks them touched after a pause.
  const pauseTimers = new Map();
  // Errors from the worker's last answer, shown until their field is edited.
  let serverErrors = [];
  const secrets = Object.fromEntries(SECRET_FIELDS.map((field) => [field, { stored: false, editing: false }]));

  // ---- reading ----

  function authType() {
    return authRadios.find((radio) => radio.checked)?.value ?? "basic";
  }

  function value(field) {
    return byId(domId(field)).value.trim();
  }

  /** Everything entered: `{id, name, isNew, settings, secrets, storedSecrets}`. */
  function read() {
    const type = authType();
    const settings = { authType: type, ...keptSettings };
    for (const field of FORM_SETTINGS[type]) {
      const entered = value(field);
      if (entered !== "") settings[field] = entered;
    }
    const secretField = SECRET_FOR[type];
    const typed = secrets[secretField].editing ? byId(secretField).value : "";
    return {
      id: isNew ? idInput.value.trim() : view.id,
      name: nameInput.value.trim(),
      isNew,
      settings,
      secrets: typed === "" ? {} : { [secretField]: typed },
      storedSecrets: secrets[secretField].stored ? [secretField] : [],
    };
  }

  /** The PUT body: name, the settings of the chosen type, and a secret only when one was typed. */
  function body() {
    const entered = read();
    return { name: entered.name, ...entered.settings, ...entered.secrets };
  }

  function fingerprint() {
    const { id, name, settings } = read();
    return JSON.stringify({ id, name, settings });
  }

  /**
   * What a Test Connection result describes: the settings of the chosen type and a typed secret.
   * Compared, never shown or stored, so the typed secret may be part of it.
   */
  function testedSettings() {
    const { settings, secrets: typed } = read();
    return JSON.stringify({ settings, typed });
  }

  /** Whether anything differs from what was loaded (a typed secret counts). */
  function isDirty() {
    if (!loaded) return false;
    const typedSecret = SECRET_FIELDS.some((field) => secrets[field].editing && byId(field).value !== "");
    return typedSecret || fingerprint() !== snapshot;
  }

  // ---- errors ----

  function errorSlot(field) {
    return byId(`${domId(field)}-error`);
  }

  function controlOf(field) {
    if (field === "authType") return null;
    if (SECRET_FIELDS.includes(field)) return secrets[field].editing ? byId(field) : byId(`${field}-open`);
    return byId(domId(field));
  }

  const visible = (field) => showAll || touched.has(field);

  function showWarnings(errorsShown) {
    const warnings = new Map(otherHostWarnings(read().settings).map((warning) => [warning.field, warning.message]));
    for (const field of WARNING_FIELDS) {
      // An error says more than a warning; one message per field at a time.
      // Unlike errors, warnings also show for stored values: only typing holds them back.
      const message = !pauseTimers.has(field) && !errorsShown.has(field) ? (warnings.get(field) ?? "") : "";
      const slot = byId(`${field}-warning`);
      slot.textContent = message;
      slot.hidden = message === "";
    }
  }

  function showErrors(errors) {
    const shown = new Map();
    for (const error of errors) {
      if (!errorSlot(error.field)) continue;
      if (!visible(error.field) && !error.fromServer) continue;
      if (!shown.has(error.field)) shown.set(error.field, error.message);
    }
    const fields = ["id", "name", "authType", ...Object.keys(PANEL_OF).filter((field) => field !== "authType")];
    const counts = { "panel-connection": 0, "panel-oauth": 0 };
    for (const field of fields) {
      const slot = errorSlot(field);
      const message = shown.get(field) ?? "";
      slot.textContent = message;
      slot.hidden = message === "";
      // aria-invalid belongs on inputs; the "Click to Set" button has the error in its description.
      const control = controlOf(field);
      if (control instanceof HTMLInputElement) control.setAttribute("aria-invalid", message === "" ? "false" : "true");
      if (message !== "" && PANEL_OF[field]) counts[PANEL_OF[field]] += 1;
    }
    for (const [panel, count] of Object.entries(counts)) tabs.setErrorCount(panel, count);
    showWarnings(shown);
    return shown;
  }

  /** Validates what is entered and shows the errors; `all` shows them for untouched fields too. */
  function validate({ all = false } = {}) {
    if (all) showAll = true;
    const result = validateConnection(read());
    showErrors([...result.errors, ...serverErrors]);
    return result;
  }

  /** Shows the worker's field errors (422) next to their fields and opens the tab of the first. */
  function showServerErrors(errors) {
    serverErrors = errors.map((error) => ({ ...error, fromServer: true }));
    const shown = showErrors([...validateConnection(read()).errors, ...serverErrors]);
    return errors.filter((error) => !shown.has(error.field));
  }

  /** Brings the first field with a visible error into view and focus, switching tabs if needed. */
  function focusFirstError() {
    const order = ["name", "id", "baseUrl", "authType", "username", "password", "clientId", "clientSecret",
      "authorizationUrl", "tokenUrl"];
    const field = order.find((candidate) => !errorSlot(candidate).hidden);
    if (!field) return false;
    if (PANEL_OF[field]) tabs.show(PANEL_OF[field]);
    const control = controlOf(field) ?? authRadios.find((radio) => radio.checked);
    control?.focus();
    return true;
  }

  // ---- display ----

  function renderAuthType() {
    const type = authType();
    byId("basic-fields").hidden = type !== "basic";
    byId("basic-note").hidden = type === "basic";
    byId("oauth-fields").hidden = type !== "oauth2";
    byId("oauth-note").hidden = type === "oauth2";
  }

  function renderPlaceholders() {
    const defaults = defaultOAuthUrls(byId("baseUrl").value)
      ?? (view?.resolved?.authorizationUrl ? view.resolved : null);
    for (const [field, fallback] of [["authorizationUrl", "<instance>/oauth_auth.do"], ["tokenUrl", "<instance>/oauth_token.do"]]) {
      const url = defaults?.[field] ?? fallback;
      byId(field).placeholder = url;
      // Also in the hint, which wraps: on a phone the placeholder is cut off.
      byId(`${field}-hint`).textContent = `Leave empty for the instance's default, ${url}.`;
    }
  }

  function renderSecret(field) {
    const state = secrets[field];
    const container = form.querySelector(`[data-secret="${field}"]`);
    container.querySelector(".secret-closed").hidden = state.editing;
    container.querySelector(".secret-editing").hidden = !state.editing;
    byId(`${field}-edit-hint`).hidden = !state.editing;
    const badge = byId(`${field}-state`);
    badge.textContent = state.stored ? "Set" : "Not set";
    badge.className = `secret-state badge ${state.stored ? "ok" : "none"}`;
    const input = byId(field);
    input.placeholder = state.stored ? "New value (empty keeps the stored one)" : "";
  }

  function closeSecret(field) {
    byId(field).value = "";
    secrets[field].editing = false;
    renderSecret(field);
  }

  function renderCallbackUrl() {
    // A saved connection tells which callback the worker uses; before that, the worker's listing does.
    byId("callbackUrl").value = view?.callbackUrl ?? workerCallbackUrl();
  }

  function changed() {
    validate();
    onInput();
  }

  // ---- loading ----

  function stopPauseTimers() {
    for (const timer of pauseTimers.values()) clearTimeout(timer);
    pauseTimers.clear();
  }

  function reset() {
    stopPauseTimers();
    touched.clear();
    serverErrors = [];
    showAll = false;
    idEdited = false;
    for (const field of SECRET_FIELDS) closeSecret(field);
  }

  function loadNew() {
    isNew = true;
    view = null;
    keptSettings = {};
    reset();
    form.reset();
    idInput.readOnly = false;
    byId("connection-id-hint").textContent = 'Letters, digits, "_" and "-"; part of the API paths. Fixed once created.';
    for (const field of SECRET_FIELDS) {
      secrets[field].stored = false;
      renderSecret(field);
    }
    renderAuthType();
    renderPlaceholders();
    renderCallbackUrl();
    snapshot = fingerprint();
    loaded = true;
    validate();
  }

  /** Fills the form from a connection view (the worker's masked answer). */
  function loadView(next) {
    isNew = false;
    view = next;
    reset();
    keptSettings = {};
    for (const key of KEPT_SETTINGS) if (next[key] !== undefined) keptSettings[key] = next[key];
    nameInput.value = next.name ?? "";
    idInput.value = next.id;
    idInput.readOnly = true;
    byId("connection-id-hint").textContent = "Part of the API paths; it cannot be changed.";
    for (const radio of authRadios) radio.checked = radio.value === next.authType;
    for (const field of [...FORM_SETTINGS.basic, ...FORM_SETTINGS.oauth2]) {
      const entered = next[field];
      byId(field).value = typeof entered === "string" ? entered : "";
    }
    for (const field of SECRET_FIELDS) {
      secrets[field].stored = next[field]?.set === true;
      renderSecret(field);
    }
    renderAuthType();
    renderPlaceholders();
    renderCallbackUrl();
    snapshot = fingerprint();
    loaded = true;
    // Settings stored earlier that no longer pass (the worker said so) are shown at once.
    if (Array.isArray(next.configErrors) && next.configErrors.length > 0) showServerErrors(next.configErrors);
    else validate();
  }

  // ---- events ----

  /** The field counts as touched after a pause in typing (or at once for a choice). */
  function touchAfterPause(field, immediately) {
    clearTimeout(pauseTimers.get(field));
    pauseTimers.delete(field);
    if (touched.has(field)) return;
    if (immediately) {
      touched.add(field);
      return;
    }
    pauseTimers.set(field, setTimeout(() => {
      pauseTimers.delete(field);
      touched.add(field);
      validate();
    }, TYPING_PAUSE_MS));
  }

  form.addEventListener("input", (event) => {
    const target = event.target;
    const field = target === idInput ? "id" : target.name;
    if (!field) return;
    touchAfterPause(field, target.type === "radio");
    serverErrors = serverErrors.filter((error) => error.field !== field);
    if (target === idInput) idEdited = true;
    if (target === nameInput && isNew && !idEdited) {
      idInput.value = suggestId(nameInput.value);
    }
    if (field === "authType") renderAuthType();
    if (field === "baseUrl") renderPlaceholders();
    changed();
  });

  form.addEventListener("focusout", (event) => {
    // Leaving a field after typing in it is "touched" even if the value ended up unchanged.
    const field = event.target === idInput ? "id" : event.target.name;
    if (field && event.target.value !== undefined && event.target.value !== "" && !touched.has(field)) {
      touchAfterPause(field, true);
      validate();
    }
  });

  for (const field of SECRET_FIELDS) {
    const container = form.querySelector(`[data-secret="${field}"]`);
    container.querySelector(".secret-open").addEventListener("click", () => {
      secrets[field].editing = true;
      renderSecret(field);
      byId(field).focus();
      changed();
    });
    const cancel = () => {
      closeSecret(field);
      byId(`${field}-open`).focus();
      changed();
    };
    container.querySelector(".secret-cancel").addEventListener("click", cancel);
    byId(field).addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.isComposing) return;
      event.preventDefault();
      cancel();
    });
  }

  /** While a connection loads, the form shows the previous one: it must not take input then. */
  function setLoading(loading) {
    form.inert = loading;
    form.classList.toggle("loading", loading);
  }

  return {
    loadNew,
    loadView,
    read,
    body,
    testedSettings,
    setLoading,
    validate,
    showServerErrors,
    focusFirstError,
    isDirty,
    get isNew() {
      return isNew;
    },
    get view() {
      return view;
    },
  };
}
