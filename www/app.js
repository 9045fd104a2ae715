// The connection screen's entry module: loads the wasm core (validation and key generation need it),
// asks for the admin token, then ties the list, the editor form and the actions together — Save, Test
// Connection, Generate (the authorization window for the authorization-code grant; for the unattended
// grants the worker asks the instance for a token at once, without any window), Reset, Delete, copying
// the Callback URL, and a JWT-bearer connection's key (signing-key.js). Save is the only action that
// stores settings: Test Connection tests the form as it is (typed secrets included, stored ones for
// untouched secret fields) and stores nothing, and Generate, which works on the connection as stored,
// asks to save unsaved changes first. A saved connection also shows its access
// keys (access-keys.js) and its audit trail (audit-trail.js). Results are announced in live regions
// next to where they belong, and marked out of date when what they describe changes. After every
// action, keyboard focus is on a control again (focus.js), never lost to the page body.

import init from "./pkg/servicenow_connection.js";

import { setUpAccessKeys } from "./access-keys.js";
import { readAdminToken, setUpAdminToken } from "./admin-token.js";
import { createApi } from "./api.js";
import { setUpAuditTrail } from "./audit-trail.js";
import { confirmAction } from "./confirm-dialog.js";
import { setUpConnectionForm } from "./connection-form.js";
import { setUpConnectionList } from "./connection-list.js";
import { focusFirst, focusIsLost } from "./focus.js";
import { authorizeInWindow, openAuthorizationWindow } from "./oauth-popup.js";
import { setUpTabs } from "./tabs.js";
import { markTestResultStale, renderTestResult } from "./test-result.js";
import { setUpSigningKey } from "./signing-key.js";
import { DEFAULT_GRANT, GRANT_LABELS, isUnattended, renderTokenState } from "./token-state.js";

const byId = (id) => document.getElementById(id);

/** Writes a message into a status element; `tone` is "", "ok" or "error". */
function say(id, text, tone = "") {
  const element = byId(id);
  element.textContent = text;
  element.className = `message${tone ? ` ${tone}` : ""}`;
}

const FIELDS_NEED_ATTENTION = "Some fields need attention: see the messages next to them.";

async function main() {
  try {
    await init();
  } catch {
    say("boot-status", "The page could not load its connection logic (pkg/servicenow_connection_bg.wasm). Reload the page; if that does not help, the worker's static files are incomplete.", "error");
    return;
  }

  const admin = setUpAdminToken({
    onChange: (hasToken) => (hasToken ? start({ focusList: true }) : signedOut()),
    confirmForget: () => discardChanges(),
  });
  const api = createApi({ getToken: readAdminToken, onAdminProblem: adminProblem });
  const tabs = setUpTabs(document.querySelector('[role="tablist"]'));
  const form = setUpConnectionForm({ tabs, onInput: () => { renderDirty(); renderTestStale(); signingKey.refresh(); } });
  const signingKey = setUpSigningKey({ form, onError: (message) => say("form-status", message, "error") });
  const list = setUpConnectionList({ onSelect: (id) => openConnection(id, { fromList: true }) });
  const keys = setUpAccessKeys({ api });
  const audit = setUpAuditTrail({ api });
  // The token part of the open connection's view; it changes with Generate and Reset while the
  // settings in the form may be mid-edit.
  let token = null;
  let busy = false;
  // Each opening of a connection gets a number; an answer for an older one is dropped.
  let openingNumber = 0;
  // What the Test Connection result on screen describes: the settings it ran on, and the change of
  // token since then, if any.
  let shownTest = null;

  // ---- admin token ----

  function adminProblem(error) {
    byId("workspace").hidden = true;
    say("boot-status", "Enter the admin token to see and edit the connections.");
    if (error.status === 401) {
      admin.refuse("The worker refused this admin token (HTTP 401). Check it for typos and try again.");
    } else {
      admin.refuse(`The admin API is not available (HTTP ${error.status}): ${error.message}`);
    }
  }

  function signedOut() {
    byId("workspace").hidden = true;
    say("boot-status", "Enter the admin token to see and edit the connections.");
  }

  async function start({ focusList = false } = {}) {
    say("boot-status", "Loading connections…");
    let connections;
    try {
      connections = await api.list();
    } catch (error) {
      if (!error.isAdminProblem) {
        admin.accepted();
        say("boot-status", `The connections could not be loaded: ${error.message}`, "error");
      }
      return;
    }
    admin.accepted();
    say("boot-status", "");
    byId("workspace").hidden = false;
    list.render(connections);
    const wanted = decodeURIComponent(window.location.hash.slice(1));
    const first = connections.find((connection) => connection.id === wanted) ?? connections[0];
    if (first) await openConnection(first.id, { force: true });
    else newConnection({ force: true });
    // The token form is gone: focus goes to the connection that is open, or to New connection.
    if (focusList) focusFirst([() => list.selectedButton(), "new-connection"]);
  }

  // ---- list and editor ----

  async function refreshList() {
    try {
      list.render(await api.list());
      say("connection-list-status", "");
    } catch (error) {
      if (!error.isAdminProblem) say("connection-list-status", `The list could not be refreshed: ${error.message}`, "error");
    }
  }

  async function discardChanges() {
    if (keys.showsNewKey) {
      const leave = await confirmAction({
        title: "Leave the new access key?",
        text: "A key is shown only once, right after it was created. Copy it before you go on: afterwards it cannot be shown again.",
        confirmLabel: "Go on without it",
      });
      if (!leave) return false;
    }
    // While a connection loads, the form holds nothing that can be edited, so nothing to lose.
    const editor = byId("editor");
    if (editor.hidden || editor.getAttribute("aria-busy") === "true" || !form.isDirty()) return true;
    return confirmAction({
      title: "Discard unsaved changes?",
      text: "The changes to this connection have not been saved.",
      confirmLabel: "Discard changes",
    });
  }

  function showEditor(heading) {
    byId("editor").hidden = false;
    byId("editor-heading").textContent = heading;
    hideTestResult();
    for (const id of ["form-status", "generate-status", "copy-status"]) say(id, "");
  }

  /**
   * On a phone the editor is below the list: after a tap in the list, bring it to the top of the
   * screen and put focus on its heading, so the person (and a screen reader) is where the
   * connection opens. Side by side, both are in view and focus stays in the list.
   */
  function revealEditor() {
    const editor = byId("editor");
    const listSection = document.querySelector(".connections");
    if (editor.getBoundingClientRect().top < listSection.getBoundingClientRect().bottom) return;
    editor.scrollIntoView({ block: "start" });
    byId("editor-heading").focus({ preventScroll: true });
  }

  async function newConnection({ force = false } = {}) {
    if (!force && !(await discardChanges())) return;
    openingNumber += 1;
    endLoading();
    form.loadNew();
    signingKey.show(null);
    token = null;
    keys.close();
    audit.close();
    list.select(null);
    showEditor("New connection");
    renderConnectionState();
    tabs.show("panel-connection");
    history.replaceState(null, "", window.location.pathname);
    if (!force) {
      revealEditor();
      byId("name").focus();
    }
  }

  function startLoading(id) {
    byId("editor").hidden = false;
    byId("editor").setAttribute("aria-busy", "true");
    byId("editor-heading").textContent = "Loading…";
    byId("dirty-marker").hidden = true;
    say("editor-loading", `Loading connection "${id}"…`);
    hideTestResult();
    for (const status of ["form-status", "generate-status", "copy-status"]) say(status, "");
    keys.close();
    audit.close();
    form.setLoading(true);
  }

  function endLoading() {
    byId("editor").setAttribute("aria-busy", "false");
    say("editor-loading", "");
    form.setLoading(false);
  }

  async function openConnection(id, { force = false, fromList = false } = {}) {
    if (!force && form.view?.id === id && !byId("editor").hidden && byId("editor").getAttribute("aria-busy") !== "true") {
      if (fromList) revealEditor();
      return;
    }
    if (!force && !(await discardChanges())) return;
    openingNumber += 1;
    const number = openingNumber;
    const previous = { id: form.view?.id ?? null, heading: byId("editor-heading").textContent };
    list.select(id);
    startLoading(id);
    if (fromList) revealEditor();
    let view;
    try {
      view = await api.get(id);
    } catch (error) {
      if (number !== openingNumber) return;
      // The form still holds what was open before: show that again.
      endLoading();
      list.select(previous.id);
      byId("editor-heading").textContent = previous.heading;
      renderDirty();
      if (!error.isAdminProblem) say("connection-list-status", `Connection "${id}" could not be loaded: ${error.message}`, "error");
      return;
    }
    if (number !== openingNumber) return;
    endLoading();
    loadView(view);
    showEditor(view.name || view.id);
    tabs.show("panel-connection");
  }

  function loadView(view) {
    form.loadView(view);
    signingKey.show(view);
    token = view.token ?? null;
    list.select(view.id);
    byId("editor-heading").textContent = view.name || view.id;
    history.replaceState(null, "", `#${encodeURIComponent(view.id)}`);
    renderConnectionState();
    keys.open(view.id);
    audit.open(view.id);
  }

  function renderDirty() {
    byId("dirty-marker").hidden = !form.isDirty();
  }

  function renderConnectionState() {
    renderDirty();
    renderTokenState(byId("token-state"), form.isNew ? null : token);
    byId("delete-connection").hidden = form.isNew;
    byId("reset-token").disabled = form.isNew || !token || token.status === "none";
  }

  // ---- the Test Connection result ----

  function hideTestResult() {
    shownTest = null;
    byId("test-result").hidden = true;
  }

  /** Marks the result on screen out of date when the settings differ from the tested ones. */
  function renderTestStale() {
    if (!shownTest) return;
    const reason = form.testedSettings() !== shownTest.settings
      ? "the settings were changed after this test."
      : shownTest.tokenChange;
    markTestResultStale(byId("test-result"), reason ?? null);
  }

  /** The token changed (Generate, Reset): a result on screen describes the old one. */
  function tokenChanged(reason) {
    if (!shownTest) return;
    shownTest.tokenChange = reason;
    renderTestStale();
  }

  // ---- actions ----

  function setBusy(value) {
    busy = value;
    byId("connection-form").setAttribute("aria-busy", String(value));
    for (const id of ["save", "test-connection", "delete-connection", "generate", "reset-token", "new-connection"]) {
      byId(id).disabled = value;
    }
    if (!value) renderConnectionState();
  }

  /**
   * Runs an action with the buttons disabled; a failure that is not about the admin token is shown
   * in `statusId`. Messages of earlier actions are cleared first, so nothing stale stays on screen.
   * Afterwards, if focus was lost (the pressed button was disabled meanwhile, or is gone), it goes
   * to the first of `focus` that can take it, else back to the control that started the action.
   */
  async function action(statusId, work, { focus = [] } = {}) {
    if (busy) return undefined;
    const opener = document.activeElement;
    for (const id of ["form-status", "generate-status", "copy-status", "connection-list-status"]) say(id, "");
    setBusy(true);
    try {
      return await work();
    } catch (error) {
      if (!error.isAdminProblem) say(statusId, error.hint ? `${error.message} ${error.hint}` : error.message, "error");
      return undefined;
    } finally {
      setBusy(false);
      if (focusIsLost() && !byId("workspace").hidden) focusFirst([opener, ...focus, "main"]);
    }
  }

  /** Shows the worker's 400/422 field errors next to their fields; false for any other error. */
  function showRefusedSettings(error, statusId, lead) {
    if (error.status !== 422 && error.status !== 400) return false;
    const fieldErrors = error.errors.length > 0 ? error.errors : [{ field: error.field, message: error.message }];
    const unplaced = form.showServerErrors(fieldErrors);
    form.focusFirstError();
    const rest = unplaced.map((problem) => problem.message).join(" ");
    say(statusId, `${lead} ${rest}`.trim(), "error");
    return true;
  }

  /** Checks every field as Save does; on errors, shows them and focuses the first. */
  function checkAll(statusId) {
    if (form.validate({ all: true }).ok) return true;
    form.focusFirstError();
    say(statusId, FIELDS_NEED_ATTENTION, "error");
    return false;
  }

  // ---- save ----

  /**
   * Saves the form. Answers the new view, or null when something was wrong (shown next to the
   * fields or in `statusId`).
   */
  async function save(statusId) {
    if (!checkAll(statusId)) return null;
    const { id, isNew } = form.read();
    const savedSettings = form.testedSettings();
    let view;
    try {
      // "Create" must never overwrite another connection: the worker refuses a taken id (412).
      view = isNew ? await api.create(id, form.body()) : await api.save(id, form.body());
    } catch (error) {
      if (error.status === 412) {
        form.showServerErrors([{ field: "id", code: error.code, message: `Connection ID "${id}" is already used by another connection.` }]);
        form.focusFirstError();
        say(statusId, "Choose another Connection ID.", "error");
        return null;
      }
      if (showRefusedSettings(error, statusId, "The worker did not accept the settings.")) return null;
      throw error;
    }
    const tokenBefore = token?.issuedAt ?? null;
    loadView(view);
    // A result about exactly these settings stays current: they are stored now, and the typed
    // secret it included has left the form.
    if (shownTest?.settings === savedSettings) shownTest.settings = form.testedSettings();
    // Saving can clear the tokens (another instance or client): a result about the old token is old.
    if ((token?.issuedAt ?? null) !== tokenBefore) tokenChanged("the access token was cleared when the settings were saved.");
    renderTestStale();
    await refreshList();
    return view;
  }

  byId("connection-form").addEventListener("submit", (event) => {
    event.preventDefault();
    action("form-status", async () => {
      const wasNew = form.isNew;
      const view = await save("form-status");
      if (view) say("form-status", wasNew ? `Connection "${view.name}" created.` : "Saved.", "ok");
    }, { focus: ["save"] });
  });

  // ---- Test Connection ----

  byId("test-connection").addEventListener("click", () => {
    action("form-status", async () => {
      if (!checkAll("form-status")) return;
      const { id } = form.read();
      // Unsaved changes (or a connection not created yet) are tested as typed, and nothing is
      // stored; an unchanged form tests the saved settings, which counts as the connection's test.
      const typed = form.isNew || form.isDirty();
      const tested = form.testedSettings();
      const tokenStatus = form.isNew ? "unsaved" : (token?.status ?? null);
      say("form-status", typed ? "Testing the settings as entered (nothing is saved)…" : "Testing the connection…");
      const started = performance.now();
      let result;
      try {
        result = typed ? await api.testSettings(id, form.body()) : await api.test(id);
      } catch (error) {
        if (showRefusedSettings(error, "form-status", "The worker did not accept the settings to test.")) return;
        throw error;
      }
      renderTestResult(byId("test-result-body"), result, performance.now() - started, { tokenStatus });
      shownTest = { settings: tested, tokenChange: null };
      byId("test-result").hidden = false;
      renderTestStale();
      say("form-status", "");
      if (!typed) {
        await refreshList();
        audit.refresh();
      }
    }, { focus: ["test-connection"] });
  });

  // ---- Generate and Reset ----

  /** Whether Generate opens the instance's login (the authorization-code grant) for what is in the form. */
  function generateIsInteractive() {
    return form.authType() !== "oauth2" || form.grantType() === DEFAULT_GRANT;
  }

  byId("generate").addEventListener("click", async () => {
    if (busy) return;
    say("generate-status", "");
    // Errors first: no window opens, and nothing is asked of the instance, for settings with errors.
    if (!checkAll("form-status")) return;
    const interactive = generateIsInteractive();
    const unsaved = form.isNew || form.isDirty();
    if (unsaved) {
      // Generate works on the connection as stored; what is typed must be saved first.
      const confirmed = await confirmAction({
        title: form.isNew ? "Save the new connection first?" : "Save your changes first?",
        text: interactive
          ? "Generate authorizes the connection as it is saved. Save what you entered, then log in at the instance in the authorization window."
          : "Generate asks the instance for a token with the connection as it is saved. Save what you entered first.",
        confirmLabel: "Save and Generate",
        tone: "primary",
      });
      if (!confirmed || busy) return;
    }
    if (!interactive) {
      obtainToken(unsaved);
      return;
    }
    // Synchronously after the person's click (on Generate, or on "Save and Generate"): later the
    // browser would block the window.
    const popup = openAuthorizationWindow();
    if (!popup) {
      say("generate-status", "The browser blocked the authorization window. Allow pop-ups for this page, then click Generate again.", "error");
      return;
    }
    action("generate-status", async () => {
      let authorization;
      try {
        if (unsaved && !(await save("form-status"))) {
          popup.close();
          return;
        }
        authorization = await api.generate(form.read().id);
      } catch (error) {
        popup.close();
        throw error;
      }
      say("generate-status", "Log in and allow access in the authorization window…");
      const id = form.read().id;
      const { view, tokenIsNew, status } = await authorizeInWindow(popup, {
        authorizationUrl: authorization.authorizationUrl,
        connectionId: id,
        issuedBefore: token?.issuedAt ?? null,
        loadView: () => api.get(id),
      });
      if (form.view?.id === id) {
        token = view.token ?? null;
        renderConnectionState();
        if (tokenIsNew) tokenChanged("a new access token was generated after this test.");
        audit.refresh();
      }
      await refreshList();
      say("generate-status", status.text, status.tone);
    }, { focus: ["generate"] });
  });

  /** The token state of connection `id` as the worker has it now, after Generate changed it (or failed). */
  async function showTokenOf(id, answerToken) {
    if (form.view?.id !== id) return;
    token = answerToken !== undefined ? answerToken : ((await api.get(id).catch(() => null))?.token ?? token);
    renderConnectionState();
    audit.refresh();
  }

  /** Generate of an unattended grant: the worker obtains the token from the instance, no window. */
  function obtainToken(unsaved) {
    action("generate-status", async () => {
      if (unsaved && !(await save("form-status"))) return;
      const id = form.read().id;
      say("generate-status", "Asking the instance for an access token…");
      let answer;
      try {
        answer = await api.generate(id);
      } catch (error) {
        // A refusal marks the connection: show what the worker knows now.
        await showTokenOf(id);
        await refreshList();
        throw error;
      }
      await showTokenOf(id, answer.token ?? null);
      tokenChanged("a new access token was obtained after this test.");
      await refreshList();
      say("generate-status", `Access token received from the instance (${GRANT_LABELS[answer.grantType] ?? answer.grantType} grant).`, "ok");
    }, { focus: ["generate"] });
  }

  byId("reset-token").addEventListener("click", async () => {
    if (busy) return;
    const interactive = !isUnattended(token);
    const confirmed = await confirmAction({
      title: "Reset the access token?",
      text: interactive
        ? "The stored access and refresh tokens are deleted. The connection stops working until you click Generate again."
        : "The stored tokens are deleted. The next request through the connection (or Generate) asks the instance for a new one.",
      confirmLabel: "Reset token",
    });
    if (!confirmed) return;
    action("generate-status", async () => {
      const view = await api.resetToken(form.read().id);
      token = view.token ?? null;
      renderConnectionState();
      tokenChanged("the access token was reset after this test.");
      audit.refresh();
      await refreshList();
      say("generate-status", interactive
        ? "The access token was cleared. Click Generate to get a new one."
        : "The access token was cleared. A new one is requested on the next use, or click Generate.", "ok");
    }, { focus: ["generate"] });
  });

  // ---- Delete ----

  byId("delete-connection").addEventListener("click", async () => {
    if (busy || form.isNew) return;
    const { id, name } = form.read();
    const confirmed = await confirmAction({
      title: `Delete "${name || id}"?`,
      text: "The connection, its stored secrets and its tokens are deleted. This cannot be undone.",
      confirmLabel: "Delete connection",
    });
    if (!confirmed) return;
    action("form-status", async () => {
      await api.remove(id);
      await refreshList();
      const label = name || id;
      await newConnection({ force: true });
      say("connection-list-status", `Connection "${label}" was deleted.`, "ok");
    }, { focus: ["new-connection"] });
  });

  // ---- Callback URL ----

  byId("copy-callback").addEventListener("click", async () => {
    const field = byId("callbackUrl");
    try {
      await navigator.clipboard.writeText(field.value);
      say("copy-status", "Callback URL copied.", "ok");
      setTimeout(() => say("copy-status", ""), 5000);
    } catch {
      // No clipboard access (an insecure origin, or permission refused): leave it selected instead.
      field.focus();
      field.select();
      say("copy-status", "Copying is not allowed here: the URL is selected, press Ctrl+C (⌘C) to copy it.");
    }
  });

  byId("new-connection").addEventListener("click", () => newConnection());

  window.addEventListener("beforeunload", (event) => {
    if ((!byId("editor").hidden && form.isDirty()) || keys.showsNewKey) event.preventDefault();
  });

  if (readAdminToken()) await start();
  else signedOut();
}

main();
