// Which ServiceNow user a new access token acts as, read with a token from a grant (after Generate,
// or an unattended grant's token obtained on use): the Table API's sys_user record of the current
// user (`sys_id=javascript:gs.getUserID()`, the query ServiceNow's Table API documentation uses for
// "the caller"), fields user_name and name only.
// ServiceNow documents no other REST endpoint for the current user. An instance whose ACLs refuse
// that read, or any other failure (network, time limit, an answer of another shape), makes the user
// "unknown" — never a failed Generate. The user is kept with the token state (token-records.js) and
// shown in the view and the listing; it is not a secret, and nothing else of the answer is kept.

import { RECORD } from "./store.js";

const QUERY = new URLSearchParams({
  sysparm_query: "sys_id=javascript:gs.getUserID()",
  sysparm_fields: "user_name,name",
  sysparm_limit: "1",
}).toString();

/** Longest user name or display name kept; a longer one is not a ServiceNow user record's. */
const MAX_FIELD_LENGTH = 255;
/** Largest answer read; one record of two fields is far smaller. */
const MAX_ANSWER_BYTES = 64 * 1024;

const UNKNOWN = Object.freeze({ known: false });

function plainText(value) {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_FIELD_LENGTH && !/\p{Cc}/u.test(value);
}

/**
 * `{known: true, userName, name}` for the user `tokens` act as on `connection`'s instance, or
 * `{known: false}`. Waits at most `timeoutMs`.
 */
export async function readTokenUser(connection, tokens, timeoutMs) {
  try {
    const response = await fetch(connection.apiRequestUrl("table/sys_user", QUERY), {
      headers: { accept: "application/json", authorization: connection.authorizationHeader(tokens) },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return UNKNOWN;
    }
    const text = await readAtMost(response, MAX_ANSWER_BYTES);
    if (text === null) return UNKNOWN;
    const record = JSON.parse(text)?.result?.[0];
    if (!plainText(record?.user_name)) return UNKNOWN;
    return { known: true, userName: record.user_name, name: plainText(record.name) ? record.name : null };
  } catch {
    return UNKNOWN;
  }
}

/** The answer's body as text, or null when it is longer than `limit` bytes (then it is not read on). */
async function readAtMost(response, limit) {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Adds `user` to the token state of `generation`'s tokens. Skipped when the tokens changed meanwhile
 * (a Reset, another Generate, new settings): the user belongs to the token it was read with.
 */
export async function recordTokenUser(store, generation, user) {
  const records = await store.getMany([RECORD.CONFIG, RECORD.TOKEN_STATE]);
  const state = records.get(RECORD.TOKEN_STATE);
  if (records.get(RECORD.CONFIG)?.generation !== generation || state?.state !== "active") return false;
  await store.commit({ put: { [RECORD.TOKEN_STATE]: { ...state, user } } });
  return true;
}
