// Storage for the OAuth engine's records (clients, grants, codes, tokens, sessions, interactions).
// Each stand-in owns one TokenVault, so tokens from one stand-in are unknown to any other.
// The engine's own memory adapter is process-global and evicts after 1,000 entries; this one is
// per instance, never evicts live records, and can drop every token at once ("revoke all").
// Expiry is checked on read so lifetimes of a second or two behave exactly.

import { recordSecret } from "./recording.js";

const TOKEN_MODELS = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "Grant",
  "ClientCredentials",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
]);

// Opaque tokens and codes are their record ids; these are the ones a client ever holds.
const RECORDED_AS = { AccessToken: "access_token", RefreshToken: "refresh_token", AuthorizationCode: "authorization_code" };

const SWEEP_EVERY = 1000;

export class TokenVault {
  #records = new Map();
  #sessionsByUid = new Map();
  #writesSinceSweep = 0;

  adapterFor(model) {
    return new VaultAdapter(this, model);
  }

  key(model, id) {
    return `${model}:${id}`;
  }

  get(model, id) {
    const key = this.key(model, id);
    const entry = this.#records.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#records.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model, id, payload, expiresInSeconds) {
    // A stand-in left running for days should not keep every expired token it ever issued.
    this.#writesSinceSweep += 1;
    if (this.#writesSinceSweep >= SWEEP_EVERY) this.#sweep();
    const expiresAt = typeof expiresInSeconds === "number" ? Date.now() + expiresInSeconds * 1000 : undefined;
    this.#records.set(this.key(model, id), { model, payload, expiresAt });
    if (model === "Session" && payload.uid) this.#sessionsByUid.set(payload.uid, id);
  }

  #sweep() {
    this.#writesSinceSweep = 0;
    const now = Date.now();
    for (const [key, entry] of this.#records) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.#records.delete(key);
        if (entry.model === "Session" && entry.payload.uid) this.#sessionsByUid.delete(entry.payload.uid);
      }
    }
  }

  delete(model, id) {
    const key = this.key(model, id);
    const entry = this.#records.get(key);
    this.#records.delete(key);
    if (entry && model === "Session" && entry.payload.uid) this.#sessionsByUid.delete(entry.payload.uid);
  }

  sessionIdForUid(uid) {
    return this.#sessionsByUid.get(uid);
  }

  revokeByGrantId(grantId) {
    for (const [key, entry] of this.#records) {
      if (entry.payload?.grantId === grantId && TOKEN_MODELS.has(entry.model)) this.#records.delete(key);
    }
  }

  // Drops every grant, code and token; sessions and clients stay, so the user remains signed in.
  revokeAllTokens() {
    let revoked = 0;
    for (const [key, entry] of this.#records) {
      if (TOKEN_MODELS.has(entry.model)) {
        this.#records.delete(key);
        revoked += 1;
      }
    }
    return revoked;
  }
}

class VaultAdapter {
  constructor(vault, model) {
    this.vault = vault;
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    if (RECORDED_AS[this.model]) recordSecret(RECORDED_AS[this.model], id);
    this.vault.set(this.model, id, structuredClone(payload), expiresIn);
  }

  async find(id) {
    const payload = this.vault.get(this.model, id);
    return payload === undefined ? undefined : structuredClone(payload);
  }

  async findByUserCode() {
    return undefined;
  }

  async findByUid(uid) {
    const id = this.vault.sessionIdForUid(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = this.vault.get(this.model, id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.vault.delete(this.model, id);
  }

  async revokeByGrantId(grantId) {
    this.vault.revokeByGrantId(grantId);
  }
}
