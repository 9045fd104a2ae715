// The connection screen's entry module: loads the wasm core (validation needs it), asks for the admin
// token, then ties the list, the editor form and the actions together — Save, Test Connection,
// Generate (the authorization window), Reset, Delete and copying the Callback URL. Every action that
// needs the connection as entered saves pending changes first, so Test Connection and Generate always
// work on what the person sees. Results are announced in live regions next to where they belong.

import init from "./pkg/servicenow_connection.js";

import { readAdminToken, setUpAdminToken } from "./admin-token.js";
import { createApi } from "./api.js";
import { confirmAction } from "./confirm-dialog.js";
import { setUpConnectionForm } from "./connection-form.js";
import { setUpConnectionList } from "./connection-list.js";
import { awaitAuthorization, navigateAuthorizationWindow, openAuthorizationWindow } from "./oauth-popup.js";
import { setUpTabs } from "./tabs.js";
import { renderTestResult } from "./test-result.js";
import { renderTokenState } from "./token-state.js";

const byId = (id) => document.getElementById(id);

/** Writes a message into a status element; `tone` is "", "ok" or "error". */
function say(id, text, tone = "") {
  const element = byId(id);
  element.textContent = text;
  element.className = `message${tone ? ` ${tone}` : ""}`;
}

async function main() {
  try {
    await init();
  } catch {
    say("boot-status", "The page could not load its connection logic (pkg/servicenow_connection_bg.wasm). Reload the page; if that does not help, the worker's static files are incomplete.", "error");
    return;
  }

  const admin = setUpAdminToken({ onChange: (hasToken) => (hasToken ? start() : signedOut()) });
  const api = createApi({ getToken: readAdminToken, onAdminProblem: adminProblem });
  const tabs = setUpTabs(document.querySelector('[role="tablist"]'));
  const form = setUpConnectionForm({ tabs, onInput: renderDirty });
  const list = setUpConnectionList({ onSelect: (id) => openConnection(id) });
  // The token part of the open connection's view; it changes with Generate and Reset while the
  // settings in the form may be mid-edit.
  let token = null;
  let busy = false;

  // ---- admin token ----

  function adminProblem(error) {
    byId("workspace").hidden = true;
    say("boot-status", "Enter the admin token to see and edit the connections.");
    if (error.status === 401) {
      admin.refuse("The worker refused this admin token (HTTP 401). Enter the correct token.");
    } else {
      admin.refuse(`The admin API is not available (HTTP ${error.status}): ${error.message}`);
    }
  }

  function signedOut() {
    byId("workspace").hidden = true;
    say("boot-status", "Enter the admin token to see and edit the connections.");
  }

  async function start() {
    say("boot-status", "Loading connections…");
    let connections;
    try {
      connections = await api.list();
    } catch (error) {
      if (!error.isAdminProblem) say("boot-status", `The connections could not be loaded: ${error.message}`, "error");
      return;
    }
    say("boot-status", "");
    byId("workspace").hidden = false;
    list.render(connections);
    const wanted = decodeURIComponent(window.location.hash.slice(1));
    const first = connections.find((connection) => connection.id === wanted) ?? connections[0];
    if (first) await openConnection(first.id, { force: true });
    else newConnection({ force: true });
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
    if (byId("editor").hidden || !form.isDirty()) return true;
    return confirmAction({
      title: "Discard unsaved changes?",
      text: "The changes to this connection have not been saved.",
      confirmLabel: "Discard changes",
    });
  }

  function showEditor(heading) {
    byId("editor").hidden = false;
    byId("editor-heading").textContent = heading;
    byId("test-result").hidden = true;
    for (const id of ["form-status", "generate-status", "copy-status"]) say(id, "");
  }

  async function newConnection({ force = false } = {}) {
    if (!force && !(await discardChanges())) return;
    form.loadNew();
    token = null;
    list.select(null);
    showEditor("New connection");
    renderConnectionState();
    tabs.show("panel-connection");
    history.replaceState(null, "", window.location.pathname);
    if (!force) byId("name").focus();
  }

  async function openConnection(id, { force = false } = {}) {
    if (!force && form.view?.id === id && !byId("editor").hidden) return;
    if (!force && !(await discardChanges())) return;
    let view;
    try {
      view = await api.get(id);
    } catch (error) {
      if (!error.isAdminProblem) say("connection-list-status", `Connection "${id}" could not be loaded: ${error.message}`, "error");
      return;
    }
    loadView(view);
    showEditor(view.name || view.id);
    tabs.show("panel-connection");
  }

  function loadView(view) {
    form.loadView(view);
    token = view.token ?? null;
    list.select(view.id);
    byId("editor-heading").textContent = view.name || view.id;
    history.replaceState(null, "", `#${encodeURIComponent(view.id)}`);
    renderConnectionState();
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
   */
  async function action(statusId, work) {
    if (busy) return undefined;
    for (const id of ["form-status", "generate-status", "copy-status", "connection-list-status"]) say(id, "");
    setBusy(true);
    try {
      return await work();
    } catch (error) {
      if (!error.isAdminProblem) say(statusId, error.message, "error");
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  // ---- save ----

  /**
   * Saves the form. Answers the new view, or null when something was wrong (shown next to the
   * fields or in `statusId`).
   */
  async function save(statusId) {
    const checked = form.validate({ all: true });
    if (!checked.ok) {
      form.focusFirstError();
      say(statusId, "Some fields need attention: see the messages next to them.", "error");
      return null;
    }
    const { id, isNew } = form.read();
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
      if (error.status === 422 || error.status === 400) {
        const fieldErrors = error.errors.length > 0 ? error.errors : [{ field: error.field, message: error.message }];
        const unplaced = form.showServerErrors(fieldErrors);
        form.focusFirstError();
        const rest = unplaced.map((problem) => problem.message).join(" ");
        say(statusId, `The worker did not accept the settings. ${rest}`.trim(), "error");
        return null;
      }
      throw error;
    }
    loadView(view);
    await refreshList();
    return view;
  }

  byId("connection-form").addEventListener("submit", (event) => {
    event.preventDefault();
    action("form-status", async () => {
      const wasNew = form.isNew;
      const view = await save("form-status");
      if (view) say("form-status", wasNew ? `Connection "${view.name}" created.` : "Saved.", "ok");
    });
  });

  // ---- Test Connection ----

  byId("test-connection").addEventListener("click", () => {
    action("form-status", async () => {
      say("form-status", "");
      if (form.isNew || form.isDirty()) {
        if (!(await save("form-status"))) return;
      }
      const { id } = form.read();
      say("form-status", "Testing the connection…");
      const started = performance.now();
      const result = await api.test(id);
      renderTestResult(byId("test-result-body"), result, performance.now() - started);
      byId("test-result").hidden = false;
      say("form-status", "");
    });
  });

  // ---- Generate and Reset ----

  byId("generate").addEventListener("click", () => {
    if (busy) return;
    // Synchronously, still inside the click: later the browser would block the window.
    const popup = openAuthorizationWindow();
    if (!popup) {
      say("generate-status", "The browser blocked the authorization window. Allow pop-ups for this page, then click Generate again.", "error");
      return;
    }
    action("generate-status", async () => {
      say("generate-status", "");
      let authorization;
      try {
        if (form.isNew || form.isDirty()) {
          if (!(await save("generate-status"))) {
            popup.close();
            return;
          }
        }
        authorization = await api.generate(form.read().id);
      } catch (error) {
        popup.close();
        throw error;
      }
      navigateAuthorizationWindow(popup, authorization.authorizationUrl);
      say("generate-status", "Log in and allow access in the authorization window…");
      const id = form.read().id;
      const issuedBefore = token?.issuedAt ?? null;
      const outcome = await awaitAuthorization(popup, { connectionId: id });
      let view = await api.get(id);
      const isNewToken = (candidate) => candidate.token?.issuedAt != null && candidate.token.issuedAt !== issuedBefore;
      if (outcome.outcome === "closed") {
        // No message: the window was closed by hand, or the browser cut the link to it (a login page
        // with a Cross-Origin-Opener-Policy makes it look closed). Look again for a little while in
        // case the callback is still completing.
        for (let attempt = 0; attempt < 3 && !isNewToken(view); attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 1500));
          view = await api.get(id);
        }
      }
      if (form.view?.id === id) {
        token = view.token ?? null;
        renderConnectionState();
      }
      await refreshList();
      if (outcome.outcome === "message") {
        say("generate-status", outcome.message.message, outcome.message.ok ? "ok" : "error");
      } else if (outcome.outcome === "closed") {
        say("generate-status", isNewToken(view)
          ? "The authorization window was closed; a new access token was stored."
          : "The authorization window was closed before the authorization finished. No token was stored.",
        isNewToken(view) ? "ok" : "error");
      } else {
        say("generate-status", "No answer from the authorization window after 10 minutes. Click Generate to try again.", "error");
      }
    });
  });

  byId("reset-token").addEventListener("click", async () => {
    if (busy) return;
    const confirmed = await confirmAction({
      title: "Reset the access token?",
      text: "The stored access and refresh tokens are deleted. The connection stops working until you click Generate again.",
      confirmLabel: "Reset token",
    });
    if (!confirmed) return;
    action("generate-status", async () => {
      const view = await api.resetToken(form.read().id);
      token = view.token ?? null;
      renderConnectionState();
      await refreshList();
      say("generate-status", "The access token was cleared. Click Generate to get a new one.", "ok");
    });
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
      byId("new-connection").focus();
    });
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
    if (!byId("editor").hidden && form.isDirty()) event.preventDefault();
  });

  if (readAdminToken()) await start();
  else signedOut();
}

main();
