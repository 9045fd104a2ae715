// URLs as fetch reads them: hosts written as IP addresses in loopback, private and reserved ranges
// need the caller's switch (or are never sent to), REST API URLs for every namespace stay below /api/,
// and dot segments hidden behind ;parameters (which Tomcat-style servers strip) are refused. In the
// wasm the platform's own URL parser reads them; tests/fixtures/url-cases.json is the table of cases
// the native tests (the url crate) run too, so both must agree.

import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { pkg, thrown } from "./support.js";

const table = JSON.parse(readFileSync(new URL("../fixtures/url-cases.json", import.meta.url), "utf8"));

test("URL fields read as the shared table says (the platform's parser in the wasm)", () => {
  for (const item of table.fields) {
    const result = pkg.validateConfig({ ...table.baseSettings, ...item.settings });
    const label = JSON.stringify(item.settings);
    assert.deepEqual(result.errors.map((e) => [e.field, e.code]), item.errors, label);
    for (const key of ["tokenUrl", "baseUrl", "instanceUrl"]) {
      if (key in item) assert.equal(result.config[key], item[key], label);
    }
    if (item.message) assert.ok(result.errors[0].message.includes(item.message), `${label}: ${result.errors[0].message}`);
  }
});

test("REST API paths read as the shared table says", () => {
  const settings = { baseUrl: table.baseSettings.baseUrl, authType: "basic", username: "u", password: "p" };
  for (const item of table.paths) {
    const build = item.function === "api" ? pkg.apiRequestUrl : pkg.restApiUrl;
    const label = JSON.stringify(item);
    if (item.url === null) {
      const error = thrown(() => build(settings, item.path, item.query));
      assert.deepEqual([error.code, error.field], ["invalid_api_request_path", item.field], label);
    } else {
      assert.equal(build(settings, item.path, item.query), item.url, label);
    }
  }
});

const basic = { baseUrl: "https://dev1.service-now.com/api/now/v2", authType: "basic", username: "u", password: "p" };

function fields(settings) {
  return pkg.validateConfig(settings).errors.map((e) => [e.field, e.code]);
}

test("the host the core approves is the host fetch connects to", () => {
  // fetch reads 0x7f000001 as 127.0.0.1; so does validation.
  assert.deepEqual(fields({ ...basic, baseUrl: "https://0x7f000001:9901/api/now" }), [["baseUrl", "loopback_address"]]);
  const allowed = pkg.validateConfig({ ...basic, baseUrl: "https://0x7f000001:9901/api/now", allowInsecureLoopback: true });
  assert.equal(allowed.config.instanceUrl, "https://127.0.0.1:9901");
  assert.equal(new URL("https://0x7f000001:9901/").host, "127.0.0.1:9901");
  for (const [baseUrl, code] of [
    ["https://localhost/api/now", "loopback_address"],
    ["https://app.localhost/api/now", "loopback_address"],
    ["https://[::1]/api/now", "loopback_address"],
    ["https://[::ffff:127.0.0.1]/api/now", "loopback_address"],
    ["https://10.0.0.8/api/now", "private_address"],
    ["https://172.20.1.1/api/now", "private_address"],
    ["https://192.168.1.20/api/now", "private_address"],
    ["https://100.64.0.1/api/now", "private_address"],
    ["https://[fd00::1]/api/now", "private_address"],
    ["https://[::ffff:10.1.1.1]/api/now", "private_address"],
    ["https://169.254.169.254/api/now", "reserved_address"],
    ["https://[fe80::1]/api/now", "reserved_address"],
  ]) {
    assert.deepEqual(fields({ ...basic, baseUrl }), [["baseUrl", code]], baseUrl);
  }
});

test("private networks need allowPrivateNetwork, for every URL the core sends to", () => {
  const oauth = { baseUrl: "https://sn.example.com/api/now", authType: "oauth2", clientId: "c", clientSecret: "s",
    tokenUrl: "https://10.1.1.1/oauth_token.do", authorizationUrl: "https://192.168.1.1/oauth_auth.do" };
  assert.deepEqual(fields(oauth), [["authorizationUrl", "private_address"], ["tokenUrl", "private_address"]]);
  const onPremise = pkg.validateConfig({ ...oauth, allowPrivateNetwork: true });
  assert.equal(onPremise.ok, true);
  assert.equal(onPremise.config.allowPrivateNetwork, true);
  // Link-local and metadata addresses stay refused whatever the switches say.
  assert.deepEqual(
    fields({ ...basic, baseUrl: "https://169.254.169.254/api/now", allowPrivateNetwork: true, allowInsecureLoopback: true }),
    [["baseUrl", "reserved_address"]]);
  const error = thrown(() => new pkg.Connection({ ...basic, baseUrl: "https://10.0.0.8/api/now" }));
  assert.equal(error.code, "invalid_config");
  assert.equal(error.errors[0].code, "private_address");
  assert.match(error.errors[0].message, /^Base URL .*allowPrivateNetwork/);
});

test("non-ASCII host names ask for their punycode form", () => {
  const result = pkg.validateConfig({ ...basic, baseUrl: "https://bücher.example/api/now" });
  assert.deepEqual(result.errors.map((e) => e.code), ["invalid_host"]);
  assert.match(result.errors[0].message, /xn--/);
  assert.equal(pkg.validateConfig({ ...basic, baseUrl: "https://xn--bcher-kva.example/api/now" }).ok, true);
});

test("restApiUrl reaches every namespace and nothing outside /api/", () => {
  const connection = new pkg.Connection(basic);
  assert.equal(connection.restApiUrl("now/table/incident", "sysparm_limit=1"),
    "https://dev1.service-now.com/api/now/table/incident?sysparm_limit=1");
  assert.equal(pkg.restApiUrl(basic, "sn_sc/servicecatalog/items"),
    "https://dev1.service-now.com/api/sn_sc/servicecatalog/items");
  assert.equal(connection.restApiUrl("x_acme_app/v1/thing"), "https://dev1.service-now.com/api/x_acme_app/v1/thing");
  for (const path of ["now", "../oauth_token.do", "now/../../oauth_token.do", "now/%2e%2e/x", "now//x", "%2e%2e/x", ""]) {
    const error = thrown(() => connection.restApiUrl(path));
    assert.deepEqual([error.code, error.field], ["invalid_api_request_path", "path"], path);
  }
  connection.free();
});

test("dot segments behind ;parameters are refused (Tomcat strips them before resolving ..)", () => {
  for (const path of ["..;/..;/oauth_token.do", "table/..;/..;/x", "table/%2e%2e;x/x", "table/.;/x", "table/;x/y"]) {
    const error = thrown(() => pkg.apiRequestUrl(basic, path));
    assert.equal(error.code, "invalid_api_request_path", path);
    assert.equal(thrown(() => pkg.restApiUrl(basic, `now/${path}`)).code, "invalid_api_request_path", path);
  }
  assert.equal(pkg.apiRequestUrl(basic, "table/incident;jsessionid=1"),
    "https://dev1.service-now.com/api/now/table/incident;jsessionid=1");
});
