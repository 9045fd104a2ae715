#!/usr/bin/env bash
# The local run: builds everything (./scripts/build.sh), starts the ServiceNow stand-in
# (tests/servicenow-standin) and the worker under `wrangler dev` (workerd, bound to 127.0.0.1, Durable
# Object storage kept in .wrangler/state), creates three demo connections against the stand-in — one
# OAuth 2.0 with a token already generated, one Basic as admin, and one OAuth 2.0 with the JWT-bearer
# grant (its key made here, its public key fetched by the stand-in from the connection's JWKS URL, its
# token obtained without a person) — and a read-only access key of the OAuth one, and prints the page URL and where the local admin token and the demo key are: files only
# their owner can read (.state/dev-admin-token and .state/dev-demo-key, mode 600), never the values
# themselves, since the output may be redirected to a file others can read. Ctrl-C stops both
# processes it started (by pid, nothing else).
#
# Environment: STANDIN_PORT (default 8780), WORKER_PORT (default 8787), ADMIN_TOKEN (default: a fresh
# random token each run), DEV_STATE_DIR (default .state: the token file, the sealing key, the
# dotenv file, logs) and DEV_PERSIST_DIR (default .wrangler/state: the worker's local storage). The
# sealing key is generated once and kept in the state folder, so a restart can open what earlier
# runs stored. Secrets reach wrangler through a dotenv file there (mode 600), never through
# command-line arguments, which other local users could read.
set -euo pipefail
cd "$(dirname "$0")/.."

standin_port="${STANDIN_PORT:-8780}"
worker_port="${WORKER_PORT:-8787}"
host=127.0.0.1
state_dir="${DEV_STATE_DIR:-.state}"
persist_dir="${DEV_PERSIST_DIR:-.wrangler/state}"
export WRANGLER_SEND_METRICS=false
# No download of the Request.cf placeholder from the internet: local runs do not need it.
export CLOUDFLARE_CF_FETCH_ENABLED=false

say() { printf '[dev] %s\n' "$*"; }
fail() { printf '[dev] %s\n' "$*" >&2; exit 1; }

port_in_use() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }
for port in "$standin_port" "$worker_port"; do
  if port_in_use "$port"; then fail "port $port on $host is already in use (set STANDIN_PORT / WORKER_PORT)"; fi
done

./scripts/build.sh

mkdir -p "$state_dir"
chmod 700 "$state_dir"
random_base64() { node -e "process.stdout.write(require('node:crypto').randomBytes($1).toString('$2'))"; }
key_file="$state_dir/dev-sealing-key"
if [ ! -s "$key_file" ]; then
  (umask 077 && random_base64 32 base64 > "$key_file")
fi
admin_token="${ADMIN_TOKEN:-$(random_base64 24 base64url)}"
token_file="$state_dir/dev-admin-token"
(umask 077 && printf '%s\n' "$admin_token" > "$token_file")
chmod 600 "$token_file"
demo_key_file="$state_dir/dev-demo-key"
env_file="$state_dir/dev.env"
(umask 077 && printf 'ADMIN_TOKEN=%s\nSEALING_KEY=%s\n' "$admin_token" "$(cat "$key_file")" > "$env_file")

standin_pid=""
wrangler_pid=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$wrangler_pid" ] && kill -TERM "$wrangler_pid" 2>/dev/null || true
  [ -n "$standin_pid" ] && kill -TERM "$standin_pid" 2>/dev/null || true
  [ -n "$wrangler_pid" ] && wait "$wrangler_pid" 2>/dev/null || true
  [ -n "$standin_pid" ] && wait "$standin_pid" 2>/dev/null || true
  say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

standin_log="$state_dir/standin.log"
node tests/servicenow-standin/server.js --port "$standin_port" > "$standin_log" 2>&1 &
standin_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$standin_log" 2>/dev/null && break
  kill -0 "$standin_pid" 2>/dev/null || fail "the stand-in did not start: $(cat "$standin_log")"
  sleep 0.1
done
grep -q "listening on" "$standin_log" || fail "the stand-in did not start within 10 s"

worker_url="http://$host:$worker_port"
# Secrets come from the dotenv file; the other variables are plain --var values.
node_modules/.bin/wrangler dev \
  --ip "$host" --port "$worker_port" \
  --persist-to "$persist_dir" \
  --env-file "$env_file" \
  --var "ALLOWED_ORIGINS:$worker_url,http://localhost:$worker_port" \
  --var "ALLOW_INSECURE_LOOPBACK:true" \
  --var "PUBLIC_URL:$worker_url" \
  --show-interactive-dev-session=false \
  < /dev/null &
wrangler_pid=$!
for _ in $(seq 600); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$worker_url/api/connections" || true)
  [ "$code" != "000" ] && break
  kill -0 "$wrangler_pid" 2>/dev/null || fail "wrangler dev exited"
  sleep 0.1
done
[ "$code" != "000" ] || fail "the worker did not answer within 60 s"

# Register the callback, create the demo connections and generate the OAuth token, all through the
# public interfaces (the stand-in's admin route, the worker's API, the stand-in's login pages).
# The admin token travels in the environment of this one process only.
ADMIN_TOKEN="$admin_token" STANDIN_URL="http://$host:$standin_port" WORKER_URL="$worker_url" DEMO_KEY_FILE="$demo_key_file" \
node --input-type=module -e '
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { authorizeOverHttp } from "./tests/servicenow-standin/authorize.js";
import { recordSecret } from "./tests/servicenow-standin/recording.js";

const { ADMIN_TOKEN: token, STANDIN_URL: standin, WORKER_URL: worker, DEMO_KEY_FILE: keyFile } = process.env;
const seed = JSON.parse(readFileSync("tests/servicenow-standin/seed.json", "utf8"));
const client = seed.clients.find((c) => c.clientId === "standin-client");
const admin = seed.users.find((u) => u.user_name === "admin");

async function call(url, { method = "GET", body, headers = {} } = {}) {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${new URL(url).pathname}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
const api = (path, options = {}) =>
  call(`${worker}${path}`, { ...options, headers: { authorization: `Bearer ${token}` } });

await call(`${standin}/__standin/clients/${client.clientId}`, {
  method: "PUT",
  body: { clientSecret: client.clientSecret, redirectUris: [...new Set([...client.redirectUris, `${worker}/oauth2/callback`])] },
});
await api("/api/connections/demo-basic", {
  method: "PUT",
  body: { name: "Demo: Basic as admin", baseUrl: `${standin}/api/now`, authType: "basic", username: admin.user_name, password: admin.password },
});
await api("/api/connections/demo-oauth", {
  method: "PUT",
  body: { name: "Demo: OAuth 2.0", baseUrl: `${standin}/api/now/v2`, authType: "oauth2", clientId: client.clientId, clientSecret: client.clientSecret },
});
// The stand-in keeps its tokens in memory, so tokens stored by an earlier run are dead: generate
// a new one whenever the demo connection does not work as it is.
let tested = await api("/api/connections/demo-oauth/test", { method: "POST" });
if (!tested.ok) {
  const { authorizationUrl } = await api("/api/connections/demo-oauth/oauth/generate", { method: "POST" });
  const location = await authorizeOverHttp(authorizationUrl, { username: admin.user_name, password: admin.password });
  const page = await fetch(location, { signal: AbortSignal.timeout(15000) });
  if (page.status !== 200) throw new Error(`the demo OAuth callback answered ${page.status}`);
  tested = await api("/api/connections/demo-oauth/test", { method: "POST" });
}
if (!tested.ok) throw new Error(`the demo OAuth connection does not work: ${tested.message}`);
// JWT bearer: the stand-in client checks assertions with the key set the worker serves for the
// connection. The private key is made once and then stays with the worker (sealed); a later run
// keeps it.
const jwtSettings = {
  name: "Demo: JWT bearer as admin", baseUrl: `${standin}/api/now/v2`, authType: "oauth2", grantType: "jwt_bearer",
  clientId: client.clientId, clientSecret: client.clientSecret, jwtSubject: admin.user_name,
};
const existing = await api("/api/connections/demo-jwt").catch(() => null);
if (existing?.privateKey?.set !== true || existing.baseUrl !== jwtSettings.baseUrl) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  jwtSettings.privateKey = privateKey.export({ type: "pkcs8", format: "pem" });
  // For the leak check of a test run only (STANDIN_SECRET_LOG); otherwise this writes nothing.
  recordSecret("private_key", jwtSettings.privateKey);
}
const jwt = await api("/api/connections/demo-jwt", { method: "PUT", body: jwtSettings });
await call(`${standin}/__standin/clients/${client.clientId}`, { method: "PATCH", body: { jwtBearer: { jwksUrl: jwt.jwksUrl } } });
await api("/api/connections/demo-jwt/oauth/generate", { method: "POST" });
// A read-only key of the demo connection, for incidents only; the one of an earlier run is revoked.
const DEMO_KEY = "Demo: read incidents";
for (const old of (await api("/api/connections/demo-oauth/keys")).keys.filter((k) => k.name === DEMO_KEY)) {
  await api(`/api/connections/demo-oauth/keys/${old.id}`, { method: "DELETE" });
}
const created = await api("/api/connections/demo-oauth/keys", {
  method: "POST", body: { name: DEMO_KEY, methods: ["GET", "HEAD"], paths: ["table/incident"] },
});
rmSync(keyFile, { force: true });
writeFileSync(keyFile, `${created.key}\n`, { mode: 0o600 });
' || fail "setting up the demo connections failed"

cat <<EOF
[dev] ServiceNow stand-in: http://$host:$standin_port  (users and passwords: tests/servicenow-standin/seed.json)
[dev] Demo connections:    demo-oauth (OAuth 2.0, token generated), demo-basic (Basic, admin),
[dev]                      demo-jwt (OAuth 2.0 JWT bearer as admin; the stand-in reads its key from its JWKS URL)
[dev] Page:                $worker_url/
[dev] Admin token:         in $token_file (readable by you only)
[dev] Demo access key:     in $demo_key_file (readable by you only; demo-oauth, GET and HEAD on table/incident)
[dev] Try:  curl -H "Authorization: Bearer \$(cat $demo_key_file)" "$worker_url/api/connections/demo-oauth/now/table/incident?sysparm_limit=2"
[dev] Ctrl-C stops the worker and the stand-in.
EOF

wait "$wrangler_pid"
