// The stand-in's HTML: the login and consent pages of the authorization flow, the hibernation
// page of a sleeping developer instance, and plain error pages. Pages are deliberately plain,
// accessible HTML (labelled fields, real buttons, no script) so a person in a browser and the
// authorizeOverHttp test helper can both fill them in. Form ids (login-form, consent-form,
// cancel-form) and field names are part of the helper's contract.

export function escapeHtml(value) {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLE = `
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; }
  h1 { font-size: 1.4rem; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input[type=text], input[type=password] { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }
  button { margin-top: 1.25rem; margin-right: .5rem; padding: .5rem 1.25rem; font-size: 1rem; }
  .error { color: #a4000f; border: 1px solid #a4000f; padding: .5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { font-weight: 600; }
`;

function layout(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage({ action, cancelAction, clientName, errorMessage, userName = "" }) {
  const error = errorMessage
    ? `<p class="error" role="alert" id="login-error">${escapeHtml(errorMessage)}</p>`
    : "";
  return layout("Log in | ServiceNow stand-in", `
<h1>Log in</h1>
<p>${escapeHtml(clientName)} wants to connect to this instance. Log in to continue.</p>
${error}
<form id="login-form" method="post" action="${escapeHtml(action)}">
  <label for="user_name">User name</label>
  <input type="text" id="user_name" name="user_name" autocomplete="username" required autofocus value="${escapeHtml(userName)}">
  <label for="user_password">Password</label>
  <input type="password" id="user_password" name="user_password" autocomplete="current-password" required>
  <button type="submit" id="sysverb_login">Log in</button>
</form>
<form id="cancel-form" method="post" action="${escapeHtml(cancelAction)}">
  <button type="submit" id="cancel">Cancel</button>
</form>`);
}

export function consentPage({ action, clientName, clientId, userName, scope }) {
  return layout("Allow access | ServiceNow stand-in", `
<h1>Allow access?</h1>
<p><strong>${escapeHtml(clientName)}</strong> is requesting access to your account on this instance.</p>
<dl>
  <dt>Application</dt><dd id="consent-client">${escapeHtml(clientId)}</dd>
  <dt>Signed in as</dt><dd id="consent-user">${escapeHtml(userName)}</dd>
  <dt>Access</dt><dd id="consent-scope">${escapeHtml(scope)}</dd>
</dl>
<form id="consent-form" method="post" action="${escapeHtml(action)}">
  <button type="submit" id="allow" name="decision" value="allow">Allow</button>
  <button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form>`);
}

// Mirrors the page a hibernating developer instance serves with status 200 for every URL.
export function hibernationPage() {
  return layout("Instance Hibernating page", `
<h1>Your instance is hibernating</h1>
<p>Developer instances hibernate when they are not in use.</p>
<p>Sign in to the site to wake your instance.</p>`);
}

export function serverErrorPage(status, title) {
  return layout(`${status} ${title}`, `
<h1>${escapeHtml(title)}</h1>
<p>The server encountered an error and could not complete your request (HTTP ${escapeHtml(status)}).</p>`);
}

// Authorization errors that cannot be sent back to a client (unknown client, unregistered
// redirect URI) are shown to the person instead, as RFC 6749 §4.1.2.1 requires.
export function oauthErrorPage({ error, description }) {
  return layout("Authorization error | ServiceNow stand-in", `
<h1>Authorization error</h1>
<p id="oauth-error"><strong>${escapeHtml(error)}</strong></p>
<p id="oauth-error-description">${escapeHtml(description ?? "")}</p>`);
}

export function messagePage(title, message) {
  return layout(title, `
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>`);
}
