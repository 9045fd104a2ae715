// Two builds of pkg/ side by side, for judging one change: sizes, start-up (fresh Node processes of
// the two builds alternated, so both see the same load) and the per-operation cost of both builds
// and oauth4webapi interleaved in one process. Per-operation figures are CPU time of the process
// (user + system) per operation, medians of the rounds; ratios are to oauth4webapi's time in the
// same rounds. Prints JSON.
//
//   node bench/compare.mjs BEFORE_PKG_DIR AFTER_PKG_DIR [--processes N] [--rounds N] [--ms N] [--only sizes,startup,ops]

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import * as oauth from "oauth4webapi";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const [before, after] = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")).map((d) => path.resolve(d));
if (!before || !after) {
  console.error("usage: node bench/compare.mjs BEFORE_PKG_DIR AFTER_PKG_DIR [--processes N] [--rounds N] [--ms N] [--only sizes,startup,ops]");
  process.exit(2);
}
const only = new Set(option("only", "sizes,startup,ops").split(","));
const builds = { before, after };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

function sizes(dir) {
  const wasm = readFileSync(path.join(dir, "servicenow_connection_bg.wasm"));
  const glue = Buffer.concat(["servicenow_connection.js", "servicenow_connection_core.js"].map((f) => readFileSync(path.join(dir, f))));
  return { wasm_raw: wasm.length, wasm_gz: gz(wasm), glue_gz: gz(glue), total_gz: gz(wasm) + gz(glue) };
}

function startup(processes) {
  const child = new URL("./startup-child.mjs", import.meta.url).pathname;
  const samples = { before: [], after: [] };
  for (let i = 0; i < processes; i += 1) {
    // Alternate which goes first, so neither always follows the other.
    const order = i % 2 ? ["after", "before"] : ["before", "after"];
    for (const which of order) {
      const out = execFileSync(process.execPath, [child, "ours"], { encoding: "utf8", env: { ...process.env, BENCH_PKG_DIR: builds[which] } });
      samples[which].push(JSON.parse(out));
    }
  }
  const summary = {};
  for (const [which, list] of Object.entries(samples)) {
    summary[which] = {};
    for (const key of Object.keys(list[0])) summary[which][key] = median(list.map((s) => s[key]));
    summary[which].total_ms = median(list.map((s) => s.compile_ms + s.instantiate_ms + s.first_call_ms));
  }
  return summary;
}

async function load(dir) {
  const pkg = await import(pathToFileURL(path.join(dir, "servicenow_connection.js")).href);
  pkg.initSync({ module: readFileSync(path.join(dir, "servicenow_connection_bg.wasm")) });
  return pkg;
}

async function ops({ rounds, ms }) {
  const INSTANCE = "https://dev8954.service-now.com";
  const REDIRECT_URI = "https://worker.example/oauth2/callback";
  const TOKEN_JSON = JSON.stringify({
    access_token: "a".repeat(86), refresh_token: "r".repeat(86), scope: "useraccount", token_type: "Bearer", expires_in: 1799,
  });
  const settings = { baseUrl: `${INSTANCE}/api/now/v2`, authType: "oauth2", clientId: "c".repeat(32), clientSecret: "s".repeat(32) };
  const fakeFetch = async () => new Response(TOKEN_JSON, { status: 200, headers: { "content-type": "application/json;charset=UTF-8" } });
  globalThis.fetch = fakeFetch;
  const as = { issuer: INSTANCE, authorization_endpoint: `${INSTANCE}/oauth_auth.do`, token_endpoint: `${INSTANCE}/oauth_token.do` };
  const client = { client_id: settings.clientId };
  const clientAuth = oauth.ClientSecretPost(settings.clientSecret);
  const verifier = "v".repeat(43);
  const state = "s".repeat(43);
  const callbackQuery = `?code=${"k".repeat(32)}&state=${state}`;
  const tokens = { accessToken: "a", refreshToken: "r".repeat(86), tokenType: "Bearer", scope: null, issuedAt: 1, expiresAt: 2, refreshExpiresAt: null };

  const contenders = {};
  for (const [which, dir] of Object.entries(builds)) {
    const pkg = await load(dir);
    const connection = new pkg.Connection(settings);
    contenders[which] = {
      code_exchange: async () => {
        const callback = pkg.parseCallback(callbackQuery);
        if (callback.state !== state) throw new Error("state");
        return connection.exchangeCode({ code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: verifier });
      },
      refresh: async () => connection.refreshTokens(tokens),
      validate: async () => pkg.validateConfig(settings),
    };
  }
  contenders.theirs = {
    code_exchange: async () => {
      const params = oauth.validateAuthResponse(as, client, new URL(`${REDIRECT_URI}${callbackQuery}`), state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, verifier, { [oauth.customFetch]: fakeFetch });
      return oauth.processAuthorizationCodeResponse(as, client, response);
    },
    refresh: async () => {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refreshToken, { [oauth.customFetch]: fakeFetch });
      return oauth.processRefreshTokenResponse(as, client, response);
    },
    validate: null,
  };

  async function measure(fn, duration) {
    let count = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(duration) * 1_000_000n;
    while (process.hrtime.bigint() < deadline) {
      for (let i = 0; i < 50; i += 1) await fn();
      count += 50;
    }
    const used = process.cpuUsage(cpu);
    return ((used.user + used.system) * 1000) / count; // ns of CPU per operation
  }

  const results = {};
  for (const operation of ["code_exchange", "refresh", "validate"]) {
    const names = Object.keys(contenders).filter((c) => contenders[c][operation]);
    for (const name of names) await measure(contenders[name][operation], 200);
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    const ratios = { before: [], after: [], after_over_before: [] };
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 ? [...names].reverse() : names;
      const got = {};
      for (const name of order) got[name] = await measure(contenders[name][operation], ms);
      for (const name of names) samples[name].push(got[name]);
      if (got.theirs) for (const b of ["before", "after"]) ratios[b].push(got[b] / got.theirs);
      ratios.after_over_before.push(got.after / got.before);
    }
    results[operation] = Object.fromEntries(names.map((n) => [`${n}_cpu_ns`, Math.round(median(samples[n]))]));
    if (ratios.before.length) {
      results[operation].before_ratio = Number(median(ratios.before).toFixed(2));
      results[operation].after_ratio = Number(median(ratios.after).toFixed(2));
    }
    // Paired within each round, so a burst of load on the machine moves both sides.
    results[operation].after_over_before = Number(median(ratios.after_over_before).toFixed(3));
  }
  return results;
}

const report = { load_average_at_start: (await import("node:os")).loadavg().map((l) => Number(l.toFixed(2))) };
if (only.has("sizes")) report.sizes = { before: sizes(before), after: sizes(after) };
if (only.has("startup")) report.startup = startup(Number(option("processes", 40)));
if (only.has("ops")) report.ops = await ops({ rounds: Number(option("rounds", 21)), ms: Number(option("ms", 200)) });
console.log(JSON.stringify(report, null, 2));
