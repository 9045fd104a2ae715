// The list of connections (GET /api/connections): one button per connection with its name, id,
// authentication type and, for OAuth 2.0, its token state, so a connection that needs attention
// stands out without opening it. The selected one is marked with aria-current.

import { tokenBadge } from "./token-state.js";

const AUTH_LABEL = { basic: "Basic", oauth2: "OAuth 2.0" };

export function setUpConnectionList({ onSelect }) {
  const list = document.getElementById("connection-list");
  const empty = document.getElementById("connection-list-empty");
  let selectedId = null;

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (button) onSelect(button.dataset.id);
  });

  function markSelected() {
    for (const button of list.querySelectorAll("button[data-id]")) {
      if (button.dataset.id === selectedId) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
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
    meta.textContent = `${connection.id} · ${AUTH_LABEL[connection.authType] ?? connection.authType}`;
    button.append(name, meta);

    const badge = tokenBadge(connection.token);
    if (badge) {
      const state = document.createElement("span");
      state.className = `badge ${badge.tone}`;
      state.textContent = badge.text;
      button.append(state);
    }
    const li = document.createElement("li");
    li.append(button);
    return li;
  }

  return {
    render(connections) {
      list.replaceChildren(...connections.map(item));
      empty.hidden = connections.length > 0;
      markSelected();
    },
    select(id) {
      selectedId = id;
      markSelected();
    },
  };
}
