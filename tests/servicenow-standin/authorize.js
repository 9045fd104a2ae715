// Test helper: walks the stand-in's authorization-code flow over plain HTTP, the way a person does
// in a browser — open the authorization URL, log in, allow or deny — keeping cookies in a small jar
// and following redirects by hand. It returns the final redirect Location (the client's
// redirect_uri with `code` and `state`, or with error=access_denied when the decision is "deny" or
// the login is refused). Bounded: at most 20 hops, and each request times out.
// Errors name the step and status but never include the password.

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_HOPS = 20;
const MAX_PAGE_CHARS = 256 * 1024;

class CookieJar {
  #cookies = new Map();

  store(url, response) {
    const lines = typeof response.headers.getSetCookie === "function" ? response.headers.getSetCookie() : [];
    for (const line of lines) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = "/";
      let expired = false;
      for (const attribute of attributes) {
        const [rawKey, ...rawValue] = attribute.split("=");
        const key = rawKey.trim().toLowerCase();
        const attrValue = rawValue.join("=").trim();
        if (key === "path" && attrValue.startsWith("/")) path = attrValue;
        if (key === "max-age" && Number(attrValue) <= 0) expired = true;
        if (key === "expires" && Date.parse(attrValue) <= Date.now()) expired = true;
      }
      const key = `${url.hostname}|${path}|${name}`;
      if (expired || value === "") this.#cookies.delete(key);
      else this.#cookies.set(key, { host: url.hostname, path, name, value });
    }
  }

  header(url) {
    const pairs = [];
    for (const cookie of this.#cookies.values()) {
      const pathMatches = url.pathname === cookie.path
        || url.pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`);
      if (cookie.host === url.hostname && pathMatches) pairs.push(`${cookie.name}=${cookie.value}`);
    }
    return pairs.join("; ");
  }
}

function decodeEntities(text) {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

function formAction(html, id) {
  const tag = new RegExp(`<form\\b[^>]*\\bid="${id}"[^>]*>`, "i").exec(html);
  if (!tag) return undefined;
  const action = /\baction="([^"]*)"/i.exec(tag[0]);
  return action ? decodeEntities(action[1]) : undefined;
}

function pageText(html) {
  return html.replace(/<style[\s\S]*?<\/style>/gi, " ").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
}

function isRedirect(status) {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Follows the login and consent pages for `authorizationUrl` and returns the final redirect
 * Location URL as a string.
 * @param {string} authorizationUrl
 * @param {{ username?: string, password?: string, decision?: "allow" | "deny", timeoutMs?: number }} options
 */
export async function authorizeOverHttp(authorizationUrl, {
  username,
  password,
  decision = "allow",
  timeoutMs = DEFAULT_TIMEOUT_MS,
} = {}) {
  if (decision !== "allow" && decision !== "deny") throw new TypeError('decision must be "allow" or "deny"');
  const jar = new CookieJar();
  const start = new URL(authorizationUrl);
  const serverOrigin = start.origin;
  let request = { url: start, method: "GET", form: undefined };
  let loginTried = false;
  let step = "authorization request";

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const headers = { accept: "text/html" };
    const cookie = jar.header(request.url);
    if (cookie) headers.cookie = cookie;
    if (request.form) headers["content-type"] = "application/x-www-form-urlencoded";
    let response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers,
        body: request.form ? new URLSearchParams(request.form).toString() : undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(`authorizeOverHttp: ${step} to ${request.url.origin}${request.url.pathname} failed: ${error.name}`, { cause: error });
    }
    jar.store(request.url, response);

    if (isRedirect(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (!location) throw new Error(`authorizeOverHttp: ${step} answered ${response.status} without Location`);
      const next = new URL(location, request.url);
      const carriesResult = next.searchParams.has("code") || next.searchParams.has("error");
      if (next.origin !== serverOrigin || (carriesResult && !next.pathname.startsWith("/oauth_"))) return next.href;
      request = { url: next, method: "GET", form: undefined };
      step = `redirect to ${next.pathname}`;
      continue;
    }

    const html = (await response.text()).slice(0, MAX_PAGE_CHARS);
    const loginAction = formAction(html, "login-form");
    const consentAction = formAction(html, "consent-form");
    if (loginAction) {
      if (loginTried) {
        // The same login page again means the credentials were refused; cancelling ends the flow
        // with error=access_denied as the person in a browser would.
        const cancelAction = formAction(html, "cancel-form");
        if (!cancelAction) throw new Error("authorizeOverHttp: login refused and no cancel form found");
        request = { url: new URL(cancelAction, request.url), method: "POST", form: {} };
        step = "cancel after refused login";
        continue;
      }
      if (typeof username !== "string" || typeof password !== "string") {
        throw new Error("authorizeOverHttp: the login page was shown but no username/password were given");
      }
      loginTried = true;
      request = {
        url: new URL(loginAction, request.url),
        method: "POST",
        form: { user_name: username, user_password: password },
      };
      step = "login";
      continue;
    }
    if (consentAction) {
      request = { url: new URL(consentAction, request.url), method: "POST", form: { decision } };
      step = `consent (${decision})`;
      continue;
    }
    throw new Error(`authorizeOverHttp: ${step} answered ${response.status} with an unexpected page: ${pageText(html)}`);
  }
  throw new Error(`authorizeOverHttp: gave up after ${MAX_HOPS} hops`);
}
