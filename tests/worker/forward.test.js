// Forwarding `/api/connections/:id/now/*`: what reaches the instance (method, path below /api/now/,
// query, body, content headers, the connection's own Authorization — and nothing else), what comes
// back (status, body, content and rate-limit headers — no cookies, no Location), and every way out of
// /api/now/ refused before anything is sent; paging links rewritten to the gateway; answers inert on
// the worker's origin. A recording "instance" on 127.0.0.1 shows exactly what arrived; the stand-in
// supplies real rate limiting.

import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { once } from "node:events";

import { ADMIN_TOKEN, basicSettings, startWorker, workerSuite } from "./support/harness.js";

let worker;
let standin;
let recorder;

/** An "instance" that records each request and answers with what the test set up. */
async function startRecorder() {
  const received = [];
  let answer = () => ({ status: 200, headers: { "content-type": "application/json" }, body: '{"result":[]}' });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const reply = await answer(req);
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    answer: (fn) => { answer = fn; },
    reset: () => { received.length = 0; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** A request with the path sent byte for byte (fetch would normalise dot segments first). */
function rawRequest(base, path, { method = "GET", headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => { body += chunk; });
      res.on("end", () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

workerSuite(async (started) => {
  ({ worker, standin } = started);
  recorder = await startRecorder();
  const created = await worker.putConnection("rec", {
    baseUrl: `${recorder.url}/api/now`,
    authType: "basic",
    username: "forwarder",
    password: "FAKE-recorder-password-51d0",
    timeoutMs: 1000,
  });
  assert.equal(created.status, 201, created.text);
  return [recorder];
});

beforeEach(() => {
  recorder.reset();
  recorder.answer(() => ({ status: 200, headers: { "content-type": "application/json" }, body: '{"result":[]}' }));
});

describe("what reaches the instance", () => {
  test("method, path, query, body and content headers; the connection's own Authorization", async () => {
    const body = JSON.stringify({ short_description: "ünïcode body", n: 1 });
    const response = await worker.admin("/api/connections/rec/now/v2/table/incident/abc123?sysparm_fields=number,state&sysparm_query=active=true^priority=1", {
      method: "PUT",
      body,
      headers: {
        "content-type": "application/json; charset=utf-8",
        accept: "application/json",
        "if-match": '"v1"',
        "x-no-response-body": "true",
        cookie: "glide_session=FAKE-cookie-from-the-caller",
        "x-forwarded-for": "203.0.113.9",
        "proxy-authorization": "Basic FAKE-proxy",
        "x-custom": "not for the instance",
        origin: worker.origin,
      },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(recorder.received.length, 1);
    const [arrived] = recorder.received;
    assert.equal(arrived.method, "PUT");
    assert.equal(arrived.url, "/api/now/v2/table/incident/abc123?sysparm_fields=number,state&sysparm_query=active=true^priority=1");
    assert.equal(arrived.body, body);
    assert.equal(arrived.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(arrived.headers.accept, "application/json");
    assert.equal(arrived.headers["if-match"], '"v1"');
    assert.equal(arrived.headers["x-no-response-body"], "true");
    assert.equal(arrived.headers.authorization, `Basic ${btoa("forwarder:FAKE-recorder-password-51d0")}`);
    for (const dropped of ["cookie", "x-forwarded-for", "proxy-authorization", "x-custom", "origin"]) {
      assert.equal(arrived.headers[dropped], undefined, `${dropped} is not forwarded`);
    }
    assert.ok(!JSON.stringify(arrived.headers).includes(ADMIN_TOKEN), "the admin token stays in the worker");
  });

  test("every method of the Table API goes through; others are 405", async () => {
    for (const method of ["GET", "HEAD", "POST", "PATCH", "DELETE"]) {
      const response = await worker.admin("/api/connections/rec/now/table/incident", {
        method,
        body: method === "POST" || method === "PATCH" ? { a: 1 } : undefined,
      });
      assert.equal(response.status, 200, method);
    }
    assert.deepEqual(recorder.received.map((r) => r.method), ["GET", "HEAD", "POST", "PATCH", "DELETE"]);
    const propfind = await worker.admin("/api/connections/rec/now/table/incident", { method: "PROPFIND" });
    assert.equal(propfind.status, 405);
    assert.match(propfind.headers.get("allow"), /PATCH/);
  });

  test("without an Accept header the instance gets application/json (ServiceNow needs one)", async () => {
    const response = await rawRequest(worker.url, "/api/connections/rec/now/table/incident", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(response.status, 200);
    assert.equal(recorder.received[0].headers.accept, "application/json");
  });

  test("a forwarded body over FORWARD_BODY_LIMIT_BYTES is refused with 413 naming the limit, and never sent", async () => {
    const limited = await startWorker({ vars: { FORWARD_BODY_LIMIT_BYTES: "1024" } });
    try {
      assert.equal((await limited.putConnection("rec", {
        baseUrl: `${recorder.url}/api/now`, authType: "basic", username: "forwarder", password: "FAKE-recorder-password-51d0",
      })).status, 201);
      const response = await limited.admin("/api/connections/rec/now/table/incident", {
        method: "POST",
        body: JSON.stringify({ text: "x".repeat(2048) }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(response.status, 413);
      assert.equal(response.json.error.code, "body_too_large");
      assert.match(response.json.error.message, /1 KB/);
      assert.equal(recorder.received.length, 0);
    } finally {
      await limited.close();
    }
  });
});

describe("no open proxy", () => {
  const refused = [
    "/api/connections/rec/now/",
    "/api/connections/rec/now",
    "/api/connections/rec/now/table/..%2F..%2Foauth_token.do",
    "/api/connections/rec/now/table%2F..%2F..%2Fx",
    "/api/connections/rec/now/table/%2e%2E%2Fx",
    "/api/connections/rec/now/https:%2F%2Fevil.example%2Fx",
    "/api/connections/rec/now/https://evil.example/x",
    "/api/connections/rec/now//evil.example/x",
    "/api/connections/rec/now/table/x%00y",
    "/api/connections/rec/now/table/a%5C..%5C..%5Cx",
    "/api/connections/rec/now/table/%ZZ",
  ];
  for (const path of refused) {
    test(`refused: ${path}`, async () => {
      const response = await rawRequest(worker.url, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 400, response.body);
      const error = JSON.parse(response.body).error;
      assert.equal(error.code, "invalid_api_request_path");
      assert.equal(error.field, "path");
      assert.equal(recorder.received.length, 0, "nothing reached the instance");
    });
  }

  for (const path of [
    "/api/connections/rec/now/../../../../oauth_token.do",
    "/api/connections/rec/now/table/../../../x",
    "/api/connections/rec/now/%2e%2e/%2e%2e/x",
    "/api/connections/rec/now/table/..\\..\\..\\..\\x",
  ]) {
    test(`dot segments never leave /api/now/: ${path}`, async () => {
      const response = await rawRequest(worker.url, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.ok(response.status >= 400 && response.status < 500, `${response.status} ${response.body}`);
      for (const arrived of recorder.received) {
        assert.ok(arrived.url.startsWith("/api/now/"), arrived.url);
        assert.ok(!arrived.url.includes(".."), arrived.url);
      }
      assert.equal(recorder.received.length, 0);
    });
  }

  test("an absolute-form request target reaches nothing", async () => {
    const response = await rawRequest(worker.url, "http://evil.example/api/connections/rec/now/table/x", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    // workerd refuses this target itself before the worker runs (a 500 from the runtime); what
    // matters here is that nothing went anywhere.
    assert.notEqual(response.status, 200);
    assert.equal(recorder.received.length, 0);
  });
});

describe("what comes back", () => {
  test("status, body and content headers; no cookies, no Location, nothing else", async () => {
    recorder.answer(() => ({
      status: 201,
      headers: {
        "content-type": "application/json;charset=UTF-8",
        "set-cookie": "JSESSIONID=FAKE-session; Path=/; HttpOnly",
        location: `${recorder.url}/api/now/table/incident/1`,
        "x-total-count": "7",
        etag: '"abc"',
        "x-is-logged-in": "true",
        server: "ServiceNow",
      },
      body: '{"result":{"sys_id":"1"}}',
    }));
    const response = await worker.admin("/api/connections/rec/now/table/incident", { method: "POST", body: { a: 1 } });
    assert.equal(response.status, 201);
    assert.equal(response.text, '{"result":{"sys_id":"1"}}');
    assert.equal(response.headers.get("content-type"), "application/json;charset=UTF-8");
    assert.equal(response.headers.get("x-total-count"), "7");
    assert.equal(response.headers.get("etag"), '"abc"');
    for (const dropped of ["set-cookie", "location", "x-is-logged-in", "server"]) {
      assert.equal(response.headers.get(dropped), null, `${dropped} is not passed back`);
    }
  });

  test("an instance error comes back as it is", async () => {
    recorder.answer(() => ({
      status: 400,
      headers: { "content-type": "application/json" },
      body: '{"error":{"message":"Invalid table x","detail":null},"status":"failure"}',
    }));
    const response = await worker.admin("/api/connections/rec/now/table/x");
    assert.equal(response.status, 400);
    assert.equal(response.json.error.message, "Invalid table x");
  });

  test("an upstream 429 comes back with Retry-After and the rate-limit headers", async () => {
    const created = await worker.putConnection("limited", basicSettings(standin));
    assert.equal(created.status, 201);
    standin.configure({ rateLimit: { limit: 2, windowSeconds: 60 } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push(await worker.admin("/api/connections/limited/now/table/incident"));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 429]);
      const limited = answers[2];
      assert.match(limited.headers.get("retry-after"), /^\d+$/);
      assert.equal(limited.headers.get("x-ratelimit-limit"), "2");
      assert.match(limited.headers.get("x-ratelimit-reset"), /^\d+$/);
      assert.equal(limited.json.error.message, "Rate limit exceeded");
      const crossOrigin = await worker.admin("/api/connections/limited/now/table/incident", {
        headers: { origin: "http://page.test:8080" },
      });
      assert.equal(crossOrigin.status, 429);
      assert.match(crossOrigin.headers.get("access-control-expose-headers"), /retry-after/);
    } finally {
      standin.configure({ rateLimit: null });
    }
  });

  test("a hibernating instance's page becomes a 503 hibernating error; other HTML passes through", async () => {
    const created = await worker.putConnection("sleepy", basicSettings(standin));
    assert.ok([200, 201].includes(created.status), created.text);
    standin.configure({ hibernating: true });
    try {
      const asleep = await worker.admin("/api/connections/sleepy/now/table/incident");
      assert.equal(asleep.status, 503, asleep.text);
      assert.equal(asleep.json.error.code, "hibernating");
      assert.match(asleep.json.error.message, /wake/);
    } finally {
      standin.configure({ hibernating: false });
    }
    recorder.answer(() => ({ status: 200, headers: { "content-type": "text/html" }, body: "<p>plain page</p>" }));
    const html = await worker.admin("/api/connections/rec/now/table/incident");
    assert.equal(html.status, 200);
    assert.equal(html.text, "<p>plain page</p>");
  });

  test("204 and HEAD answers have no body", async () => {
    recorder.answer(() => ({ status: 204, headers: {}, body: undefined }));
    const response = await worker.admin("/api/connections/rec/now/table/incident/1", { method: "DELETE" });
    assert.equal(response.status, 204);
    assert.equal(response.text, "");
  });

  test("a redirect from the instance is a 502, its Location not passed on", async () => {
    recorder.answer(() => ({ status: 302, headers: { location: "https://login.example/sso" }, body: "" }));
    const response = await worker.admin("/api/connections/rec/now/table/incident");
    assert.equal(response.status, 502);
    assert.equal(response.json.error.code, "unexpected_redirect");
    assert.ok(!response.text.includes("login.example"));
    assert.equal(recorder.received.length, 1, "the redirect was not followed");
  });

  test("an instance that does not answer in time, or not at all, is a 502", async () => {
    recorder.answer(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200, headers: {}, body: "{}" }), 1500)));
    const slow = await worker.admin("/api/connections/rec/now/table/incident");
    assert.equal(slow.status, 502);
    assert.equal(slow.json.error.code, "timeout");

    const closed = await worker.putConnection("nowhere", { ...basicSettings(standin), baseUrl: "http://127.0.0.1:9/api/now" });
    assert.equal(closed.status, 201);
    const unreachable = await worker.admin("/api/connections/nowhere/now/table/incident");
    assert.equal(unreachable.status, 502);
    assert.equal(unreachable.json.error.code, "network_error");
    assert.match(unreachable.json.error.message, /127\.0\.0\.1:9/);
  });
});

describe("paging links", () => {
  test("Link targets on the instance under /api/ become the same request through the gateway; others are dropped", async () => {
    const gateway = `${worker.origin}/api/connections/rec`;
    recorder.answer(() => ({
      status: 200,
      headers: {
        "content-type": "application/json",
        "x-total-count": "9",
        link: [
          `<${recorder.url}/api/now/table/incident?sysparm_limit=2&sysparm_offset=0>;rel="first"`,
          `<${recorder.url}/api/now/v2/table/incident?sysparm_limit=2&sysparm_offset=4>; rel="next"; title="a, b"`,
          "<https://elsewhere.example/api/now/table/incident?sysparm_offset=2>;rel=\"prev\"",
          `<${recorder.url}/login.do?sysparm_offset=0>;rel="help"`,
          `<${recorder.url}/api/now/../../nav_to.do>;rel="up"`,
          "</api/sn_sc/servicecatalog/items?sysparm_offset=8&sysparm_limit=2>;rel=\"last\"",
        ].join(","),
      },
      body: '{"result":[]}',
    }));
    const response = await worker.admin("/api/connections/rec/now/table/incident?sysparm_limit=2&sysparm_offset=2");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-total-count"), "9");
    assert.equal(response.headers.get("link"), [
      `<${gateway}/now/table/incident?sysparm_limit=2&sysparm_offset=0>; rel="first"`,
      `<${gateway}/now/v2/table/incident?sysparm_limit=2&sysparm_offset=4>; rel="next"; title="a, b"`,
      `<${gateway}/api/sn_sc/servicecatalog/items?sysparm_offset=8&sysparm_limit=2>; rel="last"`,
    ].join(", "));
  });

  test("a Link header that does not parse, or whose targets all leave the API, is not passed on", async () => {
    for (const link of ['garbage; rel="next"', `<${recorder.url}/login.do>; rel="next"`, '<https://elsewhere.example/api/now/x>; rel="next', "<unclosed"]) {
      recorder.answer(() => ({ status: 200, headers: { "content-type": "application/json", link }, body: "{}" }));
      const response = await worker.admin("/api/connections/rec/now/table/incident");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("link"), null, link);
    }
  });
});

describe("forwarded answers are inert on the worker's origin", () => {
  const cases = [
    ["application/json", null, null],
    ["text/html; charset=utf-8", null, "attachment"],
    ["image/svg+xml", 'inline; filename="logo.svg"', 'attachment; filename="logo.svg"'],
    ["application/xhtml+xml", null, "attachment"],
    ["application/atom+xml", null, "attachment"],
    ["image/png", 'inline; filename="photo.png"', 'inline; filename="photo.png"'],
    [null, null, "attachment"],
  ];
  for (const [type, disposition, expected] of cases) {
    test(`${type ?? "no Content-Type"}: nosniff, a sandbox policy${expected?.startsWith("attachment") ? ", and a download" : ""}`, async () => {
      recorder.answer(() => ({
        status: 200,
        headers: { ...(type ? { "content-type": type } : {}), ...(disposition ? { "content-disposition": disposition } : {}) },
        body: "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
      }));
      const response = await worker.admin("/api/connections/rec/now/attachment/x/file");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("content-security-policy"), "sandbox");
      assert.equal(response.headers.get("content-disposition"), expected);
    });
  }
});
