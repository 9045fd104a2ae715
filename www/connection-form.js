// The connection editor's form: it reads what is entered, fills itself from the worker's masked view
// of a connection, validates as you type (validation.js, the core's rules) and puts each error next
// to its field, linked by aria-describedby and marked aria-invalid, with a count on the tab that
// holds it. A field's errors show once the person has left it, or paused typing in it for a moment,
// and for all fields after Save, Test Connection or Generate was pressed: a half-typed "h" is not an
// error yet, and a new, empty form does not greet anyone in red. Once a field shows an error, the
// error follows every keystroke, so it goes away the moment the value is right. OAuth 2.0 URLs on
// another host than the instance get a warning next to them, which never blocks saving.
//
// OAuth 2.0 has a Grant Type: each grant shows its own fields (the password grant its User Name and
// Password on the OAuth 2.0 tab, apart from Basic's on the Connection tab, with a warning that the
// grant is deprecated; JWT bearer its subject, private key, algorithm, key id and audience) and only
// the chosen grant's fields are sent.
//
// Secrets ("Click to Set"): Password, Client Secret and Private Key are write-only. The form never
// receives them (the view says only `{set: true|false}`), shows "Set" or "Not set", and offers a text
// box only after "Click to Set" was pressed; only a value typed there is sent, and it is wiped from
// the page as soon as the save succeeded or the box is cancelled (Cancel or Escape). An untouched
// secret keeps the stored one. A key pair generated in the page (signing-key.js) hands its private key
// to the form, which keeps it in memory only — never in a field — and sends it with the next save.

import { DEFAULT_GRANT } from "./token-state.js";
import { defaultOAuthUrls, otherHostWarnings, suggestId, validateConnection } from "./validation.js";
import { workerCallbackUrl } from "./worker-info.js";

/** Settings the form edits, per authentication type and OAuth 2.0 grant (the worker keeps these, plus extras). */
const AUTH_FIELDS = {
  basic: ["baseUrl", "username"],
  oauth2: ["baseUrl", "grantType", "clientId", "tokenUrl"],
};
const GRANT_FIELDS = {
  authorization_code: ["authorizationUrl"],
  client_credentials: [],
  jwt_bearer: ["jwtSubject", "jwtAlgorithm", "jwtKeyId", "jwtAudience"],
  password: ["username"],
};
const GRANT_HINTS = {
  authorization_code: "A person logs in at the instance once (Generate); the worker refreshes the token after that.",
  client_credentials: "No person involved: the client's own credentials get the token, which acts as the record's OAuth Application User.",
  jwt_bearer: "No person involved: an assertion signed with this connection's private key gets the token, which acts as the JWT subject.",
  password: "A ServiceNow user's name and password get the token. Deprecated: see the warning below.",
};
/** The secret boxes (by DOM prefix) and the setting each holds. */
const SLOT_SETTING = { password: "password", "grant-password": "password", clientSecret: "clientSecret", privateKey: "privateKey" };
const SLOTS = Object.keys(SLOT_SETTING);
/** Every DOM field with an error slot, in the order a person meets them (the first error gets focus). */
const ERROR_FIELDS = [
  "name", "connection-id", "baseUrl", "authType", "username", "password", "grantType", "clientId", "clientSecret",
  "grant-username", "grant-password", "jwtSubject", "jwtAlgorithm", "privateKey", "jwtKeyId", "jwtAudience",
  "authorizationUrl", "tokenUrl",
];
const ON_CONNECTION_TAB = new Set(["baseUrl", "authType", "username", "password"]);
/** Settings a connection can have that this form does not edit (set through the API); kept as they are. */
const KEPT_SETTINGS = ["timeoutMs", "clientAuthentication", "refreshTokenLifetimeSeconds"];
/** How long typing may pause before the field's errors show: long enough not to interrupt a word. */
export const TYPING_PAUSE_MS = 1000;
const WARNING_FIELDS = ["authorizationUrl", "tokenUrl"];
const AUDIENCE_CHOICES = ["client_id", "token_endpoint"];
/** Form controls whose name is not the setting they edit. */
const SETTING_OF_CONTROL = { "grant-username": "username", "grant-password": "password", jwtAudienceOther: "jwtAudience" };

const byId = (id) => document.getElementById(id);

/** The secret boxes settings of this type and grant use. */
function slotsOf(type, grant) {
  if (type !== "oauth2") return ["password"];
  if (grant === "password") return ["clientSecret", "grant-password"];
  if (grant === "jwt_bearer") return ["clientSecret", "privateKey"];
  return ["clientSecret"];
}

export function setUpConnectionForm({ tabs, onInput }) {
  const form = byId("connection-form");
  const nameInput = byId("name");
  const idInput = byId("connection-id");
  const radios = (name) => [...form.querySelectorAll(`input[name="${name}"]`)];
  const checkedValue = (name, fallback) => radios(name).find((radio) => radio.checked)?.value ?? fallback;
  const check = (name, value) => {
    for (const radio of radios(name)) radio.checked = radio.value === value;
  };

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
  const secrets = Object.fromEntries(SLOTS.map((slot) => [slot, { stored: false, editing: false }]));
  // A private key generated in this page, waiting for the next save: never in the DOM.
  let generatedKey = null;

  // ---- reading ----

  function authType() {
    return checkedValue("authType", "basic");
  }

  function grantType() {
    return checkedValue("grantType", DEFAULT_GRANT);
  }

  /** The DOM id of a setting's control (and of its error slot, with "-error"). */
  function domId(field) {
    if (field === "id") return "connection-id";
    if ((field === "username" || field === "password") && authType() === "oauth2") return `grant-${field}`;
    return field;
  }

  function value(field) {
    switch (field) {
      case "grantType":
        return grantType();
      case "jwtAlgorithm":
        return checkedValue("jwtAlgorithm", "RS256");
      case "jwtAudience": {
        const choice = byId("jwtAudience").value;
        return AUDIENCE_CHOICES.includes(choice) ? choice : byId("jwtAudienceOther").value.trim();
      }
      default:
        return byId(domId(field)).value.trim();
    }
  }

  function fieldsOf(type, grant) {
    return type === "oauth2" ? [...AUTH_FIELDS.oauth2, ...GRANT_FIELDS[grant]] : AUTH_FIELDS.basic;
  }

  function secretValue(slot) {
    if (slot === "privateKey" && generatedKey !== null) return generatedKey;
    return secrets[slot].editing ? byId(slot).value : "";
  }

  /** Everything entered: `{id, name, isNew, settings, secrets, storedSecrets}`. */
  function read() {
    const type = authType();
    const grant = grantType();
    const settings = { authType: type, ...keptSettings };
    for (const field of fieldsOf(type, grant)) {
      const entered = value(field);
      if (entered !== "") settings[field] = entered;
    }
    const typed = {};
    const storedSecrets = [];
    for (const slot of slotsOf(type, grant)) {
      const secret = secretValue(slot);
      if (secret !== "") typed[SLOT_SETTING[slot]] = secret;
      if (secrets[slot].stored) storedSecrets.push(SLOT_SETTING[slot]);
    }
    return {
      id: isNew ? idInput.value.trim() : view.id,
      name: nameInput.value.trim(),
      isNew,
      settings,
      secrets: typed,
      storedSecrets,
    };
  }

  /** The PUT body: name, the settings of the chosen type and grant, and secrets only when typed. */
  function body() {
    const entered = read();
    return { name: entered.name, ...entered.settings, ...entered.secrets };
  }

  function fingerprint() {
    const { id, name, settings } = read();
    return JSON.stringify({ id, name, settings });
  }

  /**
   * What a Test Connection result describes: the settings of the chosen type and typed secrets.
   * Compared, never shown or stored, so the typed secrets may be part of it.
   */
  function testedSettings() {
    const { settings, secrets: typed } = read();
    return JSON.stringify({ settings, typed });
  }

  /** Whether anything differs from what was loaded (a typed or generated secret counts). */
  function isDirty() {
    if (!loaded) return false;
    const typedSecret = generatedKey !== null || SLOTS.some((slot) => secrets[slot].editing && byId(slot).value !== "");
    return typedSecret || fingerprint() !== snapshot;
  }

  // ---- errors ----

  function errorSlot(dom) {
    return byId(`${dom}-error`);
  }

  function controlOf(dom) {
    if (dom === "authType" || dom === "grantType" || dom === "jwtAlgorithm") {
      return radios(dom).find((radio) => radio.checked) ?? radios(dom)[0];
    }
    if (SLOTS.includes(dom)) return secrets[dom].editing ? byId(dom) : byId(`${dom}-open`);
    if (dom === "jwtAudience" && byId("jwtAudience").value === "other") return byId("jwtAudienceOther");
    return byId(dom);
  }

  function panelOf(dom) {
    if (dom === "name" || dom === "connection-id") return null;
    return ON_CONNECTION_TAB.has(dom) ? "panel-connection" : "panel-oauth";
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
      const dom = domId(error.field);
      if (!ERROR_FIELDS.includes(dom)) continue;
      if (!visible(error.field) && !error.fromServer) continue;
      if (!shown.has(dom)) shown.set(dom, error.message);
    }
    const counts = { "panel-connection": 0, "panel-oauth": 0 };
    for (const dom of ERROR_FIELDS) {
      const slot = errorSlot(dom);
      const message = shown.get(dom) ?? "";
      slot.textContent = message;
      slot.hidden = message === "";
      // aria-invalid belongs on inputs; the "Click to Set" button has the error in its description.
      const control = controlOf(dom);
      if (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement || control instanceof HTMLSelectElement) {
        control.setAttribute("aria-invalid", message === "" ? "false" : "true");
      }
      if (message !== "" && panelOf(dom)) counts[panelOf(dom)] += 1;
    }
    for (const [panel, count] of Object.entries(counts)) tabs.setErrorCount(panel, count);
    showWarnings(new Set([...shown.keys()]));
    return shown;
  }

  /** Problems of the form itself that the core cannot see: "Another value" chosen but left empty. */
  function formErrors() {
    if (authType() !== "oauth2" || grantType() !== "jwt_bearer") return [];
    if (byId("jwtAudience").value !== "other" || byId("jwtAudienceOther").value.trim() !== "") return [];
    return [{ field: "jwtAudience", code: "required", message: "Enter the audience value, or choose the Client ID or the Access Token URL." }];
  }

  /** Validates what is entered and shows the errors; `all` shows them for untouched fields too. */
  function validate({ all = false } = {}) {
    if (all) showAll = true;
    const result = validateConnection(read());
    const errors = [...result.errors, ...formErrors()];
    showErrors([...errors, ...serverErrors]);
    return { ...result, ok: errors.length === 0, errors };
  }

  /** Shows the worker's field errors (422) next to their fields and opens the tab of the first. */
  function showServerErrors(errors) {
    serverErrors = errors.map((error) => ({ ...error, fromServer: true }));
    const shown = showErrors([...validateConnection(read()).errors, ...formErrors(), ...serverErrors]);
    return errors.filter((error) => !shown.has(domId(error.field)));
  }

  /** Brings the first field with a visible error into view and focus, switching tabs if needed. */
  function focusFirstError() {
    const dom = ERROR_FIELDS.find((candidate) => !errorSlot(candidate).hidden);
    if (!dom) return false;
    if (panelOf(dom)) tabs.show(panelOf(dom));
    controlOf(dom)?.focus();
    return true;
  }

  // ---- display ----

  function renderAuthType() {
    const type = authType();
    byId("basic-fields").hidden = type !== "basic";
    byId("basic-note").hidden = type === "basic";
    byId("oauth-fields").hidden = type !== "oauth2";
    byId("oauth-note").hidden = type === "oauth2";
    renderGrant();
  }

  function renderGrant() {
    const grant = grantType();
    for (const group of form.querySelectorAll(".grant-group")) group.hidden = group.dataset.grant !== grant;
    byId("grantType-hint").textContent = GRANT_HINTS[grant] ?? "";
    byId("jwtAudienceOther").hidden = byId("jwtAudience").value !== "other";
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

  function renderSecret(slot) {
    const state = secrets[slot];
    const container = form.querySelector(`[data-secret="${slot}"]`);
    container.querySelector(".secret-closed").hidden = state.editing;
    container.querySelector(".secret-editing").hidden = !state.editing;
    byId(`${slot}-edit-hint`).hidden = !state.editing;
    const badge = byId(`${slot}-state`);
    const generated = slot === "privateKey" && generatedKey !== null;
    badge.textContent = generated ? "New key pair: saved with the connection" : state.stored ? "Set" : "Not set";
    badge.className = `secret-state badge ${generated ? "warn" : state.stored ? "ok" : "none"}`;
    const input = byId(slot);
    input.placeholder = state.stored ? "New value (empty keeps the stored one)" : (slot === "privateKey" ? "-----BEGIN PRIVATE KEY-----" : "");
  }

  function closeSecret(slot) {
    byId(slot).value = "";
    secrets[slot].editing = false;
    renderSecret(slot);
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
    generatedKey = null;
    for (const slot of SLOTS) closeSecret(slot);
  }

  function finishLoading() {
    for (const slot of SLOTS) renderSecret(slot);
    renderAuthType();
    renderPlaceholders();
    renderCallbackUrl();
    snapshot = fingerprint();
    loaded = true;
  }

  function loadNew() {
    isNew = true;
    view = null;
    keptSettings = {};
    reset();
    form.reset();
    idInput.readOnly = false;
    byId("connection-id-hint").textContent = 'Letters, digits, "_" and "-"; part of the API paths. Fixed once created.';
    for (const slot of SLOTS) secrets[slot].stored = false;
    finishLoading();
    validate();
  }

  /** Fills the form from a connection view (the worker's masked answer). */
  function loadView(next) {
    isNew = false;
    view = next;
    reset();
    form.reset();
    keptSettings = {};
    for (const key of KEPT_SETTINGS) if (next[key] !== undefined) keptSettings[key] = next[key];
    nameInput.value = next.name ?? "";
    idInput.value = next.id;
    idInput.readOnly = true;
    byId("connection-id-hint").textContent = "Part of the API paths; it cannot be changed.";
    check("authType", next.authType);
    const oauth = next.authType === "oauth2";
    check("grantType", oauth ? (next.grantType ?? DEFAULT_GRANT) : DEFAULT_GRANT);
    check("jwtAlgorithm", next.jwtAlgorithm ?? "RS256");
    const text = (entered) => (typeof entered === "string" ? entered : "");
    for (const field of ["baseUrl", "clientId", "authorizationUrl", "tokenUrl", "jwtSubject", "jwtKeyId"]) {
      byId(field).value = text(next[field]);
    }
    byId("username").value = oauth ? "" : text(next.username);
    byId("grant-username").value = oauth ? text(next.username) : "";
    const audience = text(next.jwtAudience);
    byId("jwtAudience").value = audience === "" || AUDIENCE_CHOICES.includes(audience) ? (audience || "client_id") : "other";
    byId("jwtAudienceOther").value = AUDIENCE_CHOICES.includes(audience) ? "" : audience;
    for (const slot of SLOTS) {
      // Basic's password box and the password grant's hold the same setting, for one type each.
      const ofThisType = slot === "password" ? !oauth : slot === "grant-password" ? oauth : true;
      secrets[slot].stored = ofThisType && next[SLOT_SETTING[slot]]?.set === true;
    }
    finishLoading();
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

  function fieldOfControl(target) {
    if (target === idInput) return "id";
    return SETTING_OF_CONTROL[target.name] ?? target.name;
  }

  form.addEventListener("input", (event) => {
    const target = event.target;
    const field = fieldOfControl(target);
    if (!field) return;
    touchAfterPause(field, target.type === "radio" || target instanceof HTMLSelectElement);
    serverErrors = serverErrors.filter((error) => error.field !== field);
    if (target === idInput) idEdited = true;
    if (target === nameInput && isNew && !idEdited) {
      idInput.value = suggestId(nameInput.value);
    }
    if (field === "authType") renderAuthType();
    if (field === "grantType" || field === "jwtAudience") renderGrant();
    if (field === "baseUrl") renderPlaceholders();
    changed();
  });

  form.addEventListener("focusout", (event) => {
    // Leaving a field after typing in it is "touched" even if the value ended up unchanged.
    const field = fieldOfControl(event.target);
    if (field && event.target.value !== undefined && event.target.value !== "" && !touched.has(field)) {
      touchAfterPause(field, true);
      validate();
    }
  });

  for (const slot of SLOTS) {
    const container = form.querySelector(`[data-secret="${slot}"]`);
    container.querySelector(".secret-open").addEventListener("click", () => {
      // Typing a key replaces a generated one.
      if (slot === "privateKey") generatedKey = null;
      secrets[slot].editing = true;
      renderSecret(slot);
      byId(slot).focus();
      changed();
    });
    const cancel = () => {
      closeSecret(slot);
      byId(`${slot}-open`).focus();
      changed();
    };
    container.querySelector(".secret-cancel").addEventListener("click", cancel);
    byId(slot).addEventListener("keydown", (event) => {
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
    authType,
    grantType,
    /** The signing algorithm chosen for JWT bearer. */
    jwtAlgorithm: () => checkedValue("jwtAlgorithm", "RS256"),
    /** Takes a private key generated in the page; it is sent with the next save (and replaces a typed one). */
    setGeneratedKey(privateKey) {
      closeSecret("privateKey");
      generatedKey = privateKey;
      touched.add("privateKey");
      renderSecret("privateKey");
      changed();
    },
    /** Whether a generated private key waits for the save. */
    get hasGeneratedKey() {
      return generatedKey !== null;
    },
    get isNew() {
      return isNew;
    },
    get view() {
      return view;
    },
  };
}
