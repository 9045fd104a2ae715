// Every change of a connection's stored tokens, each one transaction of the store: the set a code
// exchange issued (with the settings' new generation, and the other pending authorizations dropped),
// a refreshed set (only while the generation it was refreshed for is still the current one), the mark
// "re-authorization required" (tokens cleared, reason kept), and Reset. `generation` grows whenever
// the tokens are replaced or cleared by anything but a refresh, so a refresh that finishes after a
// Reset, a new Generate, a settings change or a delete is dropped, and a request that began before
// such a change can tell that it happened.

import { Code, HttpError } from "../errors.js";
import { tokenMeta } from "../token-view.js";
import { RECORD } from "./store.js";

/** Stores the tokens a code exchange issued; `keep` is the pending authorization that was used. */
export async function storeIssuedTokens(store, config, tokens, { keep }) {
  const next = { ...config, generation: config.generation + 1, updatedAt: Date.now() };
  const stale = [...(await store.pendingAuthorizations()).keys()].filter((key) => key !== keep);
  await store.commit({
    put: {
      [RECORD.CONFIG]: next,
      [RECORD.TOKENS]: store.seal("tokens", JSON.stringify(tokens)),
      [RECORD.TOKEN_STATE]: { state: "active", meta: tokenMeta(tokens), changedAt: next.updatedAt },
    },
    remove: stale,
  });
  return next;
}

/**
 * Stores a refreshed token set, unless the tokens were replaced or cleared since the refresh began
 * (409 `tokens_changed`). A failed write leaves the previous set stored (503 `token_store_failed`).
 * The token's ServiceNow user carries over: a refresh grant acts for the user of the original grant.
 */
export async function storeRefreshedTokens(store, tokens, generation) {
  const records = await store.getMany([RECORD.CONFIG, RECORD.TOKEN_STATE]);
  const config = records.get(RECORD.CONFIG) ?? null;
  const user = records.get(RECORD.TOKEN_STATE)?.user;
  if (!config || config.generation !== generation) {
    throw new HttpError(409, Code.TOKENS_CHANGED,
      "The connection's tokens were reset or replaced while they were being refreshed; try again.");
  }
  try {
    await store.commit({
      put: {
        [RECORD.TOKENS]: store.seal("tokens", JSON.stringify(tokens)),
        [RECORD.TOKEN_STATE]: { state: "active", meta: tokenMeta(tokens), changedAt: Date.now(), ...(user ? { user } : {}) },
      },
    });
  } catch (error) {
    // The commit writes both records or neither, so the previous tokens (and with them the refresh
    // token, which ServiceNow keeps valid) are still the stored ones.
    console.error(JSON.stringify({ event: "token_store_failed", connection: store.id, name: error?.name }));
    throw new HttpError(503, Code.TOKEN_STORE_FAILED,
      "The refreshed access token could not be stored; the stored tokens are unchanged. Try again.",
      { headers: { "retry-after": "1" } });
  }
}

/** Clears the tokens and keeps why, unless someone replaced them already. Returns whether it did. */
export async function markReauthorizationRequired(store, reason, generation) {
  const config = await store.config();
  if (!config || config.generation !== generation) return false;
  const changedAt = Date.now();
  await store.commit({
    put: {
      [RECORD.CONFIG]: { ...config, generation: config.generation + 1 },
      [RECORD.TOKEN_STATE]: { state: "reauthorization_required", reason, changedAt },
    },
    remove: [RECORD.TOKENS],
  });
  return true;
}

/** Reset: clears the tokens. Returns the new config. */
export async function clearTokens(store) {
  const config = await store.requireConfig();
  const next = { ...config, generation: config.generation + 1, updatedAt: Date.now() };
  await store.commit({ put: { [RECORD.CONFIG]: next }, remove: [RECORD.TOKENS, RECORD.TOKEN_STATE] });
  return next;
}
