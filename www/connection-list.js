// The list of connections (GET /api/connections): one button per connection with its name, id,
// authentication type (and an unattended OAuth 2.0 grant), for OAuth 2.0 its token state, and the time and result of its last test of
// the saved settings, so a connection that needs attention stands out without opening it. The
// selected one is marked with aria-current. A filter narrows the list by name or id as you type
// (case-insensitive, anywhere in either), and says how many connections it shows.

import { testLabel } from "./test-result.js";
import { GRANT_LABELS, isUnattended, timeElement, tokenBadge } from "./token-state.js";

const AUTH_LABEL = { basic: "Basic", oauth2: "OAuth 2.0" };

function badge({ text, tone }, className = "") {
  const element = document.createElement("span");
  element.className = `badge ${tone}${className ? ` ${className}` : ""}`;
  element.textContent = text;
  return element;
}

/** "Last test: Connected, <time>" or "Not tested yet" (tests of typed settings do not count). */
function lastTestLine(lastTest, tokenStatus) {
  const line = document.createElement("span");
  line.className = "connection-test";
  if (!lastTest || typeof lastTest.at !== "number") {
    line.textContent = "Not tested yet";
    return line;
  }
  const { label, tone } = testLabel(lastTest, tokenStatus);
  line.dataset.code = lastTest.code;
  line.append("Last test: ", badge({ text: label, tone }), " ", timeElement(lastTest.at));
  return line;
}

export function setUpConnectionList({ onSelect }) {
  const list = document.getElementById("connection-list");
  const empty = document.getElementById("connection-list-empty");
  const filterField = document.getElementById("connection-filter-field");
  const filter = document.getElementById("connection-filter");
  const count = document.getElementById("connection-filter-count");
  let selectedId = null;
  let shown = [];

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (button) onSelect(button.dataset.id);
  });

  filter.addEventListener("input", applyFilter);

  function markSelected() {
    for (const button of list.querySelectorAll("button[data-id]")) {
      if (button.dataset.id === selectedId) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  function matches(connection, words) {
    const text = `${connection.name ?? ""} ${connection.id}`.toLocaleLowerCase();
    return words.every((word) => text.includes(word));
  }

  function applyFilter() {
    const words = filter.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    let visible = 0;
    for (const [index, item] of [...list.children].entries()) {
      const hit = words.length === 0 || matches(shown[index], words);
      item.hidden = !hit;
      if (hit) visible += 1;
    }
    if (words.length === 0) count.textContent = "";
    else if (visible === 0) count.textContent = `No connection matches "${filter.value.trim()}".`;
    else count.textContent = `${visible} of ${shown.length} connections shown.`;
  }

  function item(connection) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "connection-item";
    button.dataset.id = connection.id;

    const name = document.createElement("span");
    name.className = "connection-name";
    name.textContent = connection.name || connection.id;
    const meta = document.createElement("span");
    meta.className = "connection-meta";
    const grant = isUnattended(connection)
      ? ` (${GRANT_LABELS[connection.grantType] ?? connection.grantType})`
      : "";
    meta.textContent = `${connection.id} · ${AUTH_LABEL[connection.authType] ?? connection.authType}${grant}`;
    button.append(name, meta);

    const token = tokenBadge(connection.token);
    if (token) button.append(badge(token, "connection-token"));
    // A listing without the member (an older worker) says nothing rather than "not tested".
    if (connection.lastTest !== undefined) button.append(lastTestLine(connection.lastTest, connection.token?.status ?? null));
    const li = document.createElement("li");
    li.append(button);
    return li;
  }

  return {
    render(connections) {
      shown = connections;
      list.replaceChildren(...connections.map(item));
      empty.hidden = connections.length > 0;
      filterField.hidden = connections.length === 0;
      markSelected();
      applyFilter();
    },
    select(id) {
      selectedId = id;
      markSelected();
    },
    /** The selected connection's button, for focus after signing in. */
    selectedButton() {
      return [...list.querySelectorAll("button[data-id]")].find((button) => button.dataset.id === selectedId) ?? null;
    },
  };
}
