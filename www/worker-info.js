// What the page knows about the worker serving it, from the listing's `worker` member: its network
// switches (ALLOW_INSECURE_LOOPBACK for plain-http loopback instance URLs, ALLOW_PRIVATE_NETWORK for
// instances at private addresses), so that validation as you type applies the worker's own rules, and the callback URL to register in ServiceNow (PUBLIC_URL
// may differ from the address the page was loaded from). Until the listing has been read, the page's
// own address is the best guess for both.

let known = null;

/** Records the listing's `worker` member. */
export function setWorkerInfo(info) {
  if (info && typeof info === "object") {
    known = {
      allowInsecureLoopback: info.allowInsecureLoopback === true,
      allowPrivateNetwork: info.allowPrivateNetwork === true,
      callbackUrl: typeof info.callbackUrl === "string" ? info.callbackUrl : null,
    };
  }
}

function servedFromLoopback(hostname = location.hostname) {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The core's network switches as the worker sets them, for validateConfig. */
export function networkSwitches() {
  return {
    allowInsecureLoopback: known ? known.allowInsecureLoopback : servedFromLoopback(),
    allowPrivateNetwork: known ? known.allowPrivateNetwork : false,
  };
}

/** The callback URL the worker uses for new connections. */
export function workerCallbackUrl() {
  return known?.callbackUrl ?? `${location.origin}/oauth2/callback`;
}
