// Test-only recording for leak checks, off unless a test run asks for it. With STANDIN_SECRET_LOG
// naming a file, every access token, refresh token and authorization code the stand-in issues, every
// client secret it is given and every PKCE code verifier it receives is appended to that file as one
// JSON line, so a check can later search everything the tests saw for exactly these values. With
// STANDIN_REQUEST_LOG naming a file, the method and URL of every request the stand-in receives are
// appended, so a secret that travelled in a URL is found too. The variables are read on every call,
// so a test process may set them after importing the stand-in. Nothing here ever prints.

import { appendFileSync } from "node:fs";

function append(file, record) {
  try {
    appendFileSync(file, `${JSON.stringify(record)}\n`);
  } catch {
    // A recording that cannot be written must not change how the stand-in answers; the leak check
    // then finds fewer secrets to look for, never a different behaviour.
  }
}

/** Records a secret value the stand-in issued or learned (`kind`: access_token, refresh_token, …). */
export function recordSecret(kind, value) {
  const file = process.env.STANDIN_SECRET_LOG;
  if (!file || typeof value !== "string" || value === "") return;
  append(file, { kind, value, source: "servicenow-standin" });
}

/** Records the request line of a request the stand-in received. */
export function recordRequest(method, url) {
  const file = process.env.STANDIN_REQUEST_LOG;
  if (!file) return;
  append(file, { kind: "standin-request", source: "servicenow-standin", text: `${method} ${url}` });
}
