// The audit trail of the open connection (the worker's `…/audit` route): administrative events
// (created, settings changed, Generate and its callback, Reset, access keys created, changed and
// revoked, Test Connection) or forwarded requests, newest first, a page at a time. Each record says
// when, who (the admin, an access key by name, the authorization callback), what (the event, or the
// method and API path with the names of its query parameters; the worker never keeps their values) and
// the outcome. Loaded when the section is opened, when the log shown changes, and on Refresh, so a
// closed section costs nothing.

import { testLabel } from "./test-result.js";
import { timeElement } from "./token-state.js";

const byId = (id) => document.getElementById(id);

const EVENTS = {
  created: "Connection created",
  settings_changed: "Settings saved",
  generate: "Generate: authorization started",
  callback: "Authorization callback",
  reset: "Access token reset",
  key_created: "Access key created",
  key_changed: "Access key changed",
  key_revoked: "Access key revoked",
  test: "Test Connection",
};

function say(id, text, tone = "") {
  const element = byId(id);
  element.textContent = text;
  element.className = `message${tone ? ` ${tone}` : ""}`;
}

function whoText(who) {
  switch (who?.kind) {
    case "admin":
      return "Admin";
    case "key":
      return `Key "${who.name}"`;
    case "callback":
      return "The instance's callback";
    default:
      return who?.kind ?? "Unknown";
  }
}

function what(entry) {
  if (entry.event !== undefined) {
    let text = EVENTS[entry.event] ?? entry.event;
    if (entry.key?.name) text += `: "${entry.key.name}"`;
    if (entry.event === "test" && entry.code) text += `: ${testLabel({ code: entry.code }).label}`;
    else if (entry.code && entry.code !== "ok") text += ` (${entry.code})`;
    return text;
  }
  const query = Array.isArray(entry.query) && entry.query.length > 0 ? `?${entry.query.join("&")}` : "";
  return `${entry.method} ${entry.path}${query}`;
}

function outcome(entry) {
  const parts = [];
  if (entry.status !== undefined) parts.push(`HTTP ${entry.status}`);
  if (entry.event === undefined && entry.code) parts.push(entry.code);
  if (entry.ms !== undefined) parts.push(`${entry.ms} ms`);
  if (entry.bytesIn !== undefined || entry.bytesOut !== undefined) {
    parts.push(`${entry.bytesIn ?? 0} B in, ${entry.bytesOut ?? 0} B out`);
  }
  if (entry.complete === false) parts.push("cut off");
  return parts.join(" · ");
}

function item(entry) {
  const li = document.createElement("li");
  li.className = "audit-item";
  const head = document.createElement("p");
  head.className = "audit-head hint";
  head.append(timeElement(entry.at), ` · ${whoText(entry.who)}`);
  const body = document.createElement("p");
  body.className = "audit-what";
  body.textContent = what(entry);
  const result = document.createElement("p");
  result.className = "audit-outcome hint";
  result.textContent = outcome(entry);
  li.append(head, body, result);
  return li;
}

export function setUpAuditTrail({ api }) {
  const section = byId("audit");
  const details = byId("audit-details");
  const list = byId("audit-list");
  const more = byId("audit-more");
  let connectionId = null;
  let cursor = null;
  let loading = 0;

  const log = () => section.querySelector('input[name="audit-log"]:checked').value;

  /** Loads the newest page (`older` false) or the next older one. */
  async function load({ older = false } = {}) {
    loading += 1;
    const number = loading;
    const id = connectionId;
    say("audit-status", "Loading…");
    try {
      const page = await api.audit(id, { log: log(), cursor: older ? cursor : null });
      if (number !== loading) return;
      const items = page.entries.map(item);
      if (older) list.append(...items);
      else list.replaceChildren(...items);
      cursor = page.nextCursor ?? null;
      more.hidden = cursor === null;
      byId("audit-empty").hidden = list.children.length > 0;
      say("audit-status", "");
    } catch (error) {
      if (number === loading && !error.isAdminProblem) say("audit-status", `The audit trail could not be loaded: ${error.message}`, "error");
    }
  }

  details.addEventListener("toggle", () => {
    if (details.open && connectionId !== null) load();
  });
  section.addEventListener("change", (event) => {
    if (event.target.name === "audit-log") load();
  });
  byId("audit-refresh").addEventListener("click", () => load());
  more.addEventListener("click", () => load({ older: true }));

  function clear() {
    list.replaceChildren();
    cursor = null;
    more.hidden = true;
    byId("audit-empty").hidden = true;
    say("audit-status", "");
  }

  return {
    /** Shows the trail of the saved connection `id` (loaded now if the section is open). */
    open(id) {
      if (id !== connectionId) clear();
      connectionId = id;
      section.hidden = false;
      if (details.open) load();
    },
    /** Something was done to the connection: an open trail shows it. */
    refresh() {
      if (connectionId !== null && details.open) load();
    },
    close() {
      loading += 1;
      connectionId = null;
      clear();
      section.hidden = true;
    },
  };
}
