// The page a browser lands on after the instance's authorization step (GET /oauth2/callback). It tells
// two readers what happened: the page that opened it (window.opener, through postMessage, only to the
// configured origins — HTML5 postMessage with an explicit targetOrigin), and the person looking at
// it (plain text). It never contains the code, the state, a token or a secret. The query with the
// code is removed from the address bar and history at once, the referrer is never sent, and a
// Content-Security-Policy with a per-response nonce allows only this page's own small script.

const MESSAGE_TYPE = "servicenow-connection:oauth";

function escapeHtml(text) {
  return String(text)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

// JSON inside <script type="application/json">: "<" escaped so no "</script>" can close the element.
function inertJson(value) {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

function nonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * `result`: {ok, status, code, message}; `connectionId` when known; `targetOrigins`: where the
 * opener may be.
 */
export function callbackPage(result, { connectionId = null, targetOrigins = [] } = {}) {
  const message = {
    type: MESSAGE_TYPE,
    ok: result.ok,
    connectionId,
    code: result.code,
    message: result.message,
  };
  const scriptNonce = nonce();
  const title = result.ok ? "Access token generated" : "Authorization not completed";
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${scriptNonce}">
body { font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 36rem; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.25rem; }
.ok { color: #17653a; }
.failed { color: #a4262c; }
code { font-size: 0.9em; }
</style>
</head>
<body>
<h1 class="${result.ok ? "ok" : "failed"}">${escapeHtml(title)}</h1>
<p id="message">${escapeHtml(result.message)}</p>
${connectionId ? `<p>Connection: <code>${escapeHtml(connectionId)}</code></p>` : ""}
<p>${result.ok ? "You can close this window." : "You can close this window and try again."}</p>
<script type="application/json" id="result">${inertJson({ message, targetOrigins })}</script>
<script nonce="${scriptNonce}">
(function () {
  var data = JSON.parse(document.getElementById("result").textContent);
  try { history.replaceState(null, "", location.pathname); } catch (e) {}
  if (window.opener && !window.opener.closed) {
    data.targetOrigins.forEach(function (origin) {
      try { window.opener.postMessage(data.message, origin); } catch (e) {}
    });
  }
  // Also to same-origin pages: an authorization page that sends Cross-Origin-Opener-Policy cuts the
  // link to the opener, and a channel of this origin still reaches the page that opened the window.
  try {
    var channel = new BroadcastChannel("servicenow-connection:oauth");
    channel.postMessage(data.message);
    channel.close();
  } catch (e) {}
})();
</script>
</body>
</html>
`;
  return new Response(html, {
    status: result.status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "content-security-policy": [
        "default-src 'none'",
        `script-src 'nonce-${scriptNonce}'`,
        `style-src 'nonce-${scriptNonce}'`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
    },
  });
}
