// Forwarding to the instance's REST APIs: `/api/connections/:id/now/<path>` to `<instance>/api/now/<path>`,
// and `/api/connections/:id/api/<namespace>/<path>` to `<instance>/api/<namespace>/<path>` for the
// other namespaces (Service Catalog `sn_sc`, Change Management `sn_chg_rest`, scoped Scripted REST APIs).
// The connection's object hands out what the request needs — the URL (built by the core, which
// refuses any path that leaves the API), a fresh Authorization and the tokens' generation
// (connection/forwarding.js) — and the bytes flow here, in this stateless worker, streamed both ways
// (request-body.js, answer.js) under the transfer's waits (transfer.js). A 401 to a request without a
// body is retried once with a refreshed token, bound to the generation it started with; a request
// whose body was streamed cannot be sent twice, so it gets the instance's 401 (its token was made
// fresh before sending).

import { connectionStub } from "../connection-stub.js";
import { errorCodes } from "../core.js";
import { forwardBodyLimit } from "../environment.js";
import { HttpError } from "../errors.js";
import { statusOf } from "../http.js";
import { callerAnswer } from "../forwarding/answer.js";
import { upstreamHeaders } from "../forwarding/headers.js";
import { hasBody, outgoingBody } from "../forwarding/request-body.js";
import { queueTraffic } from "../forwarding/traffic-log.js";
import { Transfer } from "../forwarding/transfer.js";

/**
 * What the request asks of the instance: the route (`now` or `api`), the raw path after
 * `/api/connections/<id>/<route>` (without its leading "/") and the raw query.
 */
function target(c, route) {
  const marker = `/api/connections/${c.get("connectionId")}/${route}`;
  const path = c.req.path.slice(marker.length).replace(/^\//, "");
  const url = c.req.url;
  const query = url.indexOf("?");
  return { route, path, query: query === -1 ? "" : url.slice(query + 1) };
}

function copied(response) {
  return new Response(response.body, response);
}

/** Sends one request to the instance; transport failures become 502 answers naming the host only. */
async function send(grant, { method, headers, body }, transfer) {
  const init = {
    method,
    headers: upstreamHeaders(headers, grant.authorization),
    redirect: "manual",
    signal: transfer.signal,
  };
  if (body) init.body = body.stream;
  else transfer.sent();
  try {
    const response = await fetch(grant.url, init);
    transfer.answered();
    return response;
  } catch (error) {
    transfer.finish();
    const refusal = body?.refusal();
    if (refusal) throw refusal;
    const host = new URL(grant.url).host;
    if (transfer.expired === "waiting") {
      throw new HttpError(502, errorCodes.timeout, `${host} did not answer within ${transfer.timeoutMs} ms.`);
    }
    if (transfer.expired === "sending") {
      throw new HttpError(502, errorCodes.timeout, `Sending the request body to ${host} made no progress for ${transfer.timeoutMs} ms.`);
    }
    throw new HttpError(502, errorCodes.network_error, `Could not reach ${host} (connection failed).`);
  }
}

/** The handler of the `now` route (`/api/now/`) or the `api` route (every namespace under `/api/`). */
export function forwardTo(route) {
  return (c) => forward(c, route);
}

async function forward(c, route) {
  const started = Date.now();
  const id = c.get("connectionId");
  const stub = connectionStub(c.env, id);
  const request = c.req.raw;
  const limit = forwardBodyLimit(c.env);
  const method = request.method;
  const grant = await stub.forwardGrant(id, { ...target(c, route), method, who: c.get("caller") });
  if (grant instanceof Response) return copied(grant);

  const links = {
    requestUrl: grant.url,
    instanceOrigin: new URL(grant.instanceUrl).origin,
    gateway: `${c.get("publicOrigin")}/api/connections/${id}`,
  };
  let body = null;
  // The request is kept in the connection's traffic log once its answer has been passed on, cut off
  // or refused — which may be after this handler has returned, so the wait for it is registered now.
  let settle;
  c.executionCtx.waitUntil(new Promise((resolve) => { settle = resolve; }));
  const record = (status, bytesOut, outcome = {}) => settle(queueTraffic(id, trafficRecord(grant, {
    at: started, method, status, ms: Date.now() - started, bytesIn: body?.size() ?? 0, bytesOut, ...outcome,
  }), (entries) => connectionStub(c.env, id).recordTraffic(id, entries)));
  try {
    const retryable = grant.retryable && !hasBody(request);
    let transfer = new Transfer(grant.timeoutMs);
    body = outgoingBody(request, { limit, transfer });
    let upstream = await send(grant, { method, headers: request.headers, body }, transfer);
    if (upstream.status === 401 && retryable) {
      // One retry with a refreshed token (RFC 6750 §3.1), to the same URL, only while the connection's
      // tokens are still of the generation this request began with.
      await upstream.body?.cancel();
      transfer.finish();
      const retry = await stub.forwardRetry(id, { generation: grant.generation, authorization: grant.authorization });
      if (retry instanceof Response) {
        record(retry.status, 0, { code: (await retry.clone().json().catch(() => null))?.error?.code });
        return copied(retry);
      }
      transfer = new Transfer(grant.timeoutMs);
      upstream = await send({ ...grant, authorization: retry.authorization }, { method, headers: request.headers, body: null }, transfer);
    }
    const { status } = upstream;
    return await callerAnswer(upstream, {
      transfer,
      links,
      onEnd: (bytes) => record(status, bytes),
      onFail: (bytes) => record(status, bytes, { complete: false }),
    });
  } catch (error) {
    record(statusOf(error), 0, { code: error?.code });
    throw error;
  }
}

/** The traffic record of a forwarded request: the API path and query names, never values. */
function trafficRecord(grant, { at, method, status, ms, bytesIn, bytesOut, complete, code }) {
  const url = new URL(grant.url);
  const query = [];
  for (const name of url.searchParams.keys()) if (!query.includes(name) && query.length < 50) query.push(name.slice(0, 100));
  const entry = { at, who: grant.who, method, path: url.pathname.slice(0, 500), query, status, ms, bytesIn, bytesOut };
  if (complete === false) entry.complete = false;
  if (typeof code === "string") entry.code = code;
  return entry;
}
