// GET /oauth2/callback, the one public API route: the instance sends the browser here after the
// authorization step (RFC 6749 §4.1.2). The query is read by the core's parseCallback; the state's tag
// is checked here (oauth-state.js), so a made-up or altered state is refused before any connection's
// object is touched, and storage is never created for it. A state of the untagged shape of earlier
// builds goes on only to a connection the registry lists. The connection's object then completes the
// authorization. Every outcome is the callback page (callback-page.js), which tells the opener and
// the person. It posts to the origin of the page that clicked Generate (kept with the pending
// authorization) while that origin is still allowed, and to no other, so a page of another allowed
// origin neither hears the result nor makes the browser complain; when the request is not known,
// only the worker's own page is told. One log line per callback says its status only.

import { callbackPage } from "../callback-page.js";
import { connectionStub } from "../connection-stub.js";
import { fieldCodes, parseCallback } from "../core.js";
import { allowedOrigins, keyring, publicOrigin } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { errorResponse } from "../http.js";
import { checkState } from "../oauth-state.js";
import { registryStub } from "../registry.js";

export async function oauthCallback(c) {
  const started = Date.now();
  const response = await callbackResponse(c);
  console.log(JSON.stringify({ event: "callback", route: "/oauth2/callback", status: response.status, ms: Date.now() - started }));
  return response;
}

function unknownState() {
  return { ok: false, status: 400, code: Code.UNKNOWN_STATE,
    message: "This authorization request is not known to this worker. No token was stored. Click Generate to try again." };
}

async function callbackResponse(c) {
  const { env } = c;
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    return errorResponse(new HttpError(405, Code.METHOD_NOT_ALLOWED, `${c.req.method} is not allowed on /oauth2/callback.`,
      { headers: { allow: "GET, HEAD" } }));
  }
  let own;
  try {
    own = publicOrigin(env, c.req.raw);
  } catch (error) {
    return callbackPage({ ok: false, status: error.status, code: error.code, message: error.message },
      { targetOrigins: allowedOrigins(env) });
  }
  const isAllowed = (origin) => origin === own || allowedOrigins(env).includes(origin);
  const page = (result, connectionId = null) => {
    const opener = result.openerOrigin;
    const targetOrigins = typeof opener === "string" ? (isAllowed(opener) ? [opener] : []) : [own];
    return callbackPage(result, { connectionId, targetOrigins });
  };
  const failed = (status, code, message) => page({ ok: false, status, code, message });

  const url = new URL(c.req.url);
  let callback;
  try {
    callback = parseCallback(url.search);
  } catch (error) {
    if (error?.field === "state" && error.code === fieldCodes.required) {
      return failed(400, Code.MISSING_STATE,
        "The answer from the instance has no state, so it cannot be matched to an authorization request. No token was stored.");
    }
    return failed(400, Code.INVALID_CALLBACK, `The answer from the instance is not a valid authorization response: ${error?.message ?? "unreadable"}. No token was stored.`);
  }
  if (!callback.state) {
    const denied = callback.error === "access_denied" ? "Access was denied at the instance, and " : "";
    return failed(400, Code.MISSING_STATE,
      `${denied}the answer has no state, so it cannot be matched to an authorization request. No token was stored.`);
  }
  try {
    keyring(env);
  } catch (error) {
    return failed(error.status ?? 503, error.code ?? Code.SEALING_KEY_INVALID, error.message);
  }
  const checked = await checkState(env, callback.state);
  if (checked === null) return page(unknownState());
  if (!checked.tagged && !(await registryStub(env).has(checked.id))) return page(unknownState());

  let result;
  try {
    result = await connectionStub(env, checked.id).completeAuthorization(checked.id, callback);
  } catch (error) {
    // The object was reset (evicted, restarted) during the exchange. Its storage holds all of the
    // token write or none of it, but which one is not known here, so the page says where to look.
    console.error(JSON.stringify({ event: "callback_interrupted", name: error?.name ?? typeof error }));
    return page({
      ok: false, status: 503, code: Code.CONNECTION_INTERRUPTED,
      message: "The connection was interrupted while completing the authorization. If its token status shows no token, click Generate to try again.",
    }, checked.id);
  }
  return page(result, result.code === Code.UNKNOWN_STATE ? null : checked.id);
}
