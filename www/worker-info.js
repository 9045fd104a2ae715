// What the page knows about the worker serving it, from the listing's `worker` member: whether
// plain-http loopback instance URLs are accepted (ALLOW_INSECURE_LOOPBACK), so that validation as
// you type applies the worker's own rule, and the callback URL to register in ServiceNow (PUBLIC_URL
// may differ from the address the page was loaded from). Until the listing has been read, the page's
// own address is the best guess for both.

let known = null;

/** Records the listing's `worker` member. */
export function setWorkerInfo(info) {
  if (info && typeof info === "object") {
    known = {
      allowInsecureLoopback: info.allowInsecureLoopback === true,
      callbackUrl: typeof info.callbackUrl === "string" ? info.callbackUrl : null,
    };
  }
}

function servedFromLoopback(hostname = location.hostname) {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Whether the worker accepts http:// instance URLs on loopback hosts. */
export function insecureLoopbackAllowed() {
  return known ? known.allowInsecureLoopback : servedFromLoopback();
}

/** The callback URL the worker uses for new connections. */
export function workerCallbackUrl() {
  return known?.callbackUrl ?? `${location.origin}/oauth2/callback`;
}
