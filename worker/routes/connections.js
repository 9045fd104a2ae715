// The admin routes of connections: the listing (from the registry), and for one connection its view,
// save, delete, Generate, Reset and Test Connection, each handed to the connection's Durable Object
// (connection/object.js) after the route's checks. Answers from the object are copied into a Response
// of this request, so the API's middleware can add its headers.

import { connectionStub } from "../connection-stub.js";
import { insecureLoopbackAllowed } from "../environment.js";
import { jsonResponse, readJsonObject } from "../http.js";
import { registryStub } from "../registry.js";

function callbackUrlOf(c) {
  return `${c.get("publicOrigin")}/oauth2/callback`;
}

function stubOf(c) {
  return connectionStub(c.env, c.get("connectionId"));
}

async function answer(pending) {
  const response = await pending;
  return new Response(response.body, response);
}

export async function listConnections(c) {
  // What a settings form needs to know about this worker: whether loopback http is accepted (so it
  // validates as the worker will) and the callback URL to register in ServiceNow.
  const worker = { allowInsecureLoopback: insecureLoopbackAllowed(c.env), callbackUrl: callbackUrlOf(c) };
  return jsonResponse(200, { connections: await registryStub(c.env).list(), worker });
}

export function viewConnection(c) {
  return answer(stubOf(c).view(c.get("connectionId"), { callbackUrl: callbackUrlOf(c) }));
}

export async function saveConnection(c) {
  // `If-None-Match: *` (RFC 9110 §13.1.2): create only; an existing connection is left alone.
  const createOnly = c.req.header("if-none-match")?.trim() === "*";
  const body = await readJsonObject(c.req.raw);
  return answer(stubOf(c).save(c.get("connectionId"), body, { callbackUrl: callbackUrlOf(c), createOnly }));
}

export function deleteConnection(c) {
  return answer(stubOf(c).remove(c.get("connectionId")));
}

export async function generate(c) {
  const options = await readJsonObject(c.req.raw, { optional: true });
  return answer(stubOf(c).generate(c.get("connectionId"), options, { callbackUrl: callbackUrlOf(c) }));
}

export function resetToken(c) {
  return answer(stubOf(c).resetToken(c.get("connectionId"), { callbackUrl: callbackUrlOf(c) }));
}

export async function testConnection(c) {
  await readJsonObject(c.req.raw, { optional: true });
  return answer(stubOf(c).test(c.get("connectionId")));
}
