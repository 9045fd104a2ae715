// The authorization window of Generate. Browsers allow a popup only while they are handling the
// user's click, and the authorization URL needs a call to the worker first, so the window is opened
// empty and synchronously in the click handler and sent to the URL once it is known. The worker's
// callback page (worker/callback-page.js) reports the outcome to its opener with postMessage; a
// message is believed only when it comes from this page's own origin (the worker serving both), from
// the window we opened, and has the callback's message type. If the window is closed without a
// message (the user gave up, the instance showed its own error page, or the message was lost), the
// connection is loaded again to see whether a token arrived anyway, and the likely causes are named.

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

/**
 * Said when the authorization window closed without reporting a result: it showed something else
 * than the callback, most often the instance's own error page (an unknown Client ID, a Redirect URL
 * that is not registered).
 */
const CLOSED_WITHOUT_RESULT = "The authorization window was closed before the authorization finished. No token was stored. "
  + "If the window showed an error from the instance, check the Client ID (and Client Secret) of this connection, and that "
  + "the Callback URL above is registered as a Redirect URL of that OAuth client in ServiceNow (System OAuth › Application Registry).";

/** How often, and how long apart, a closed window is followed by another look at the connection. */
const LATE_LOOKS = 3;
const LATE_LOOK_MS = 1500;

/**
 * Sends `popup` to `authorizationUrl` and waits for the outcome. `loadView()` reads the connection
 * afterwards; `issuedBefore` is the token's issuedAt before Generate (null if none). Answers
 * `{view, tokenIsNew, status: {text, tone}}` with the words for the page's status line.
 */
export async function authorizeInWindow(popup, { authorizationUrl, connectionId, issuedBefore, loadView }) {
  navigateAuthorizationWindow(popup, authorizationUrl);
  const outcome = await awaitAuthorization(popup, { connectionId });
  const isNewToken = (candidate) => candidate.token?.issuedAt != null && candidate.token.issuedAt !== issuedBefore;
  let view = await loadView();
  if (outcome.outcome === "closed") {
    // The window was closed by hand, or the browser cut the link to it (a login page with a
    // Cross-Origin-Opener-Policy makes it look closed). Look again for a little while in case the
    // callback is still completing.
    for (let attempt = 0; attempt < LATE_LOOKS && !isNewToken(view); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, LATE_LOOK_MS));
      view = await loadView();
    }
  }
  const tokenIsNew = isNewToken(view);
  let status;
  if (outcome.outcome === "message") {
    status = { text: outcome.message.message, tone: outcome.message.ok ? "ok" : "error" };
  } else if (outcome.outcome === "closed") {
    status = tokenIsNew
      ? { text: "The authorization window was closed; a new access token was stored.", tone: "ok" }
      : { text: CLOSED_WITHOUT_RESULT, tone: "error" };
  } else {
    status = { text: "No answer from the authorization window after 10 minutes. Click Generate to try again.", tone: "error" };
  }
  return { view, tokenIsNew, status };
}
