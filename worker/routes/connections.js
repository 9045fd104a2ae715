// The admin routes of connections: the listing (from the registry), and for one connection its view,
// save, delete, Generate (an authorization URL, or for an unattended grant the token itself), Reset
// and Test Connection, each handed to the connection's Durable Object
// (connection/object.js) after the route's checks. Answers from the object are copied into a Response
// of this request, so the API's middleware can add its headers.

import { connectionStub } from "../connection-stub.js";
import { fieldCodes } from "../core.js";
import { networkSwitches } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { jsonResponse, readJsonObject } from "../http.js";
import { registryStub } from "../registry.js";

function callbackUrlOf(c) {
  return `${c.get("publicOrigin")}/oauth2/callback`;
}

/** What a connection's view is built with: the callback URL and the origin of its JWKS URL. */
function viewContext(c) {
  return { callbackUrl: callbackUrlOf(c), publicOrigin: c.get("publicOrigin") };
}

function stubOf(c) {
  return connectionStub(c.env, c.get("connectionId"));
}

async function answer(pending) {
  const response = await pending;
  return new Response(response.body, response);
}

export async function listConnections(c) {
  // What a settings form needs to know about this worker: its network switches (so it validates as
  // the worker will) and the callback URL to register in ServiceNow.
  const worker = { ...networkSwitches(c.env), callbackUrl: callbackUrlOf(c) };
  return jsonResponse(200, { connections: await registryStub(c.env).list(), worker });
}

export function viewConnection(c) {
  return answer(stubOf(c).view(c.get("connectionId"), viewContext(c)));
}

export async function saveConnection(c) {
  // `If-None-Match: *` (RFC 9110 §13.1.2): create only; an existing connection is left alone.
  const createOnly = c.req.header("if-none-match")?.trim() === "*";
  const body = await readJsonObject(c.req.raw);
  return answer(stubOf(c).save(c.get("connectionId"), body, { ...viewContext(c), createOnly }));
}

export function deleteConnection(c) {
  return answer(stubOf(c).remove(c.get("connectionId")));
}

export async function generate(c) {
  const options = await readJsonObject(c.req.raw, { optional: true });
  // The page asking (its Origin passed the origin check) is where the callback page reports back.
  const openerOrigin = c.req.header("origin") ?? null;
  return answer(stubOf(c).generate(c.get("connectionId"), options, { ...viewContext(c), openerOrigin }));
}

export function resetToken(c) {
  return answer(stubOf(c).resetToken(c.get("connectionId"), viewContext(c)));
}

/**
 * Test Connection: without a body (or `{}`), on the stored settings; with `{"settings": {…}}` (the
 * shape of a PUT body, admin only), on those settings as typed, storing nothing.
 */
export async function testConnection(c) {
  const options = await readJsonObject(c.req.raw, { optional: true });
  const unknown = Object.keys(options).filter((key) => key !== "settings");
  if (unknown.length > 0) {
    throw new HttpError(422, Code.UNKNOWN_FIELD, `${unknown[0]} is not an option of Test Connection (only "settings").`,
      { field: unknown[0] });
  }
  if (options.settings === undefined) return answer(stubOf(c).test(c.get("connectionId"), c.get("caller")));
  if (c.get("caller")?.kind !== "admin") {
    throw new HttpError(403, Code.ADMIN_ONLY, "Testing settings that are not stored needs the admin token.");
  }
  const { settings } = options;
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
    throw new HttpError(422, fieldCodes.invalid_type, "settings must be an object with the connection's settings, as for saving.",
      { field: "settings" });
  }
  return answer(stubOf(c).testSettings(c.get("connectionId"), settings));
}
