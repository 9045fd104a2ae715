// The authorization window of Generate. Browsers allow a popup only while they are handling the
// user's click, and the authorization URL needs a call to the worker first, so the window is opened
// empty and synchronously in the click handler and sent to the URL once it is known. The worker's
// callback page (worker/callback-page.js) reports the outcome to its opener with postMessage; a
// message is believed only when it comes from this page's own origin (the worker serving both), from
// the window we opened, and has the callback's message type. If the window is closed without a
// message (the user gave up, or the message was lost), the caller reloads the connection instead.

/** The `type` of the callback page's message (worker/callback-page.js MESSAGE_TYPE). */
export const MESSAGE_TYPE = "servicenow-connection:oauth";

// A fixed name: a second Generate reuses the open window instead of piling up windows.
const WINDOW_NAME = "servicenow-connection-authorization";
const WINDOW_FEATURES = "popup=yes,width=600,height=720";
const POLL_MS = 400;
/** The worker keeps an authorization request for 10 minutes; waiting longer is pointless. */
const GIVE_UP_MS = 10 * 60 * 1000;

/**
 * Opens the (empty) authorization window. Must run synchronously inside a click handler. Returns
 * the window, or null when a popup blocker refused it.
 */
export function openAuthorizationWindow() {
  const popup = window.open("", WINDOW_NAME, WINDOW_FEATURES);
  // Some blockers hand back a window that is already closed instead of null.
  if (!popup || popup.closed) return null;
  try {
    // Still about:blank and same-origin: say what is happening while the worker is asked.
    popup.document.title = "Authorizing…";
    popup.document.body.textContent = "Opening the instance's login page…";
  } catch {
    // A window of that name is already showing the instance (cross-origin): nothing to write.
  }
  return popup;
}

/** Sends the opened window to the instance's authorization page. */
export function navigateAuthorizationWindow(popup, authorizationUrl) {
  popup.location.href = authorizationUrl;
  popup.focus();
}

/**
 * Waits for the outcome of the authorization in `popup`: `{outcome: "message", message}` with the
 * callback's `{ok, code, message, connectionId}`, `{outcome: "closed"}` when the window was closed
 * first, or `{outcome: "timeout"}`. A successful or failed callback closes the window: the page
 * shows the result.
 */
export function awaitAuthorization(popup, { connectionId }) {
  return new Promise((resolve) => {
    const started = Date.now();
    let timer = null;

    // The callback page also announces on a same-origin channel, which still works when the
    // authorization pages cut the link between the two windows (Cross-Origin-Opener-Policy).
    const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(MESSAGE_TYPE) : null;

    function finish(result) {
      window.removeEventListener("message", onMessage);
      channel?.close();
      clearInterval(timer);
      resolve(result);
    }

    function onChannelMessage(event) {
      // Any tab of this origin hears the channel: only this connection's answer counts.
      if (event.data?.connectionId !== connectionId) return;
      onMessage({ origin: window.location.origin, source: popup, data: event.data });
    }

    function onMessage(event) {
      if (event.origin !== window.location.origin || event.source !== popup) return;
      const data = event.data;
      if (data === null || typeof data !== "object" || data.type !== MESSAGE_TYPE) return;
      // The callback names the connection when it knows it; a different one is not ours to show.
      if (data.connectionId != null && data.connectionId !== connectionId) return;
      try {
        popup.close();
      } catch {
        // Already closed by the user.
      }
      finish({
        outcome: "message",
        message: { ok: data.ok === true, code: String(data.code ?? ""), message: String(data.message ?? "") },
      });
    }

    window.addEventListener("message", onMessage);
    if (channel) channel.onmessage = onChannelMessage;
    timer = setInterval(() => {
      if (popup.closed) finish({ outcome: "closed" });
      else if (Date.now() - started > GIVE_UP_MS) finish({ outcome: "timeout" });
    }, POLL_MS);
  });
}
