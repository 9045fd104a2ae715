// The storage of one connection's Durable Object: the one module that knows its record names, seals
// and opens its secret values, and writes. Every change that touches several records is one
// transaction (`commit`), so an object reset between two writes — the runtime evicting or restarting
// it — can never leave, say, a new instance next to the old instance's tokens. The records are those
// the worker has always written (tests/worker/fixtures/ holds an earlier build's, and the worker
// tests plant and use them):
//
//   config                     {id, name, settings (non-secret, as entered), fingerprint, generation, createdAt, updatedAt}
//   secret:password            sealed, associated data "<id>:password"        (Basic, OAuth 2.0 password grant)
//   secret:clientSecret        sealed, associated data "<id>:clientSecret"    (OAuth 2.0)
//   secret:privateKey          sealed, associated data "<id>:privateKey"      (OAuth 2.0, JWT bearer)
//   signingKeys                the public half of the private key, and the previous one during a rotation (signing-keys.js)
//   tokens                     sealed JSON token set, associated data "<id>:tokens"
//   tokenState                 {state: "active", meta, changedAt, user?} | {state: "reauthorization_required", reason, changedAt}; absent: no token
//   oauth-state:<sha256(state)>  {verifier (sealed, "<id>:codeVerifier"), redirectUri, fingerprint, openerOrigin?, createdAt, expiresAt, usedAt?}
//   lastTest                   {at, ok, code, status?} of the last Test Connection on the stored settings
//
// Sealing is the core's Keyring (src/seal.rs): AES-256-GCM, a fresh nonce per value, the key id in
// the blob, `<connection id>:<field>` as associated data so a blob copied to another connection or
// field does not open. A value sealed under SEALING_KEY_PREVIOUS is sealed again under SEALING_KEY
// when it is read, which finishes a key rotation without a migration step.

import { Code, HttpError } from "../errors.js";

export const RECORD = Object.freeze({
  CONFIG: "config",
  TOKENS: "tokens",
  TOKEN_STATE: "tokenState",
  PENDING_PREFIX: "oauth-state:",
  LAST_TEST: "lastTest",
  SIGNING_KEYS: "signingKeys",
});

/** The record of each secret field. */
export const SECRET_RECORD = Object.freeze({
  password: "secret:password",
  clientSecret: "secret:clientSecret",
  privateKey: "secret:privateKey",
});

export class ConnectionStore {
  #storage;
  #keyring;
  #id;

  /** `keyring()` gives the core's Keyring (or throws the 503 that says why there is none). */
  constructor(storage, keyring, id) {
    this.#storage = storage;
    this.#keyring = keyring;
    this.#id = id;
  }

  get id() {
    return this.#id;
  }

  // ---- sealed values ----

  #aad(field) {
    return `${this.#id}:${field}`;
  }

  /** Seals `plaintext` for `field`, to be stored by a later `commit`. */
  seal(field, plaintext) {
    return this.#keyring().seal(this.#aad(field), plaintext);
  }

  /** Opens a value sealed for `field`; throws the core's ConnectionError when it cannot. */
  open(field, sealed) {
    return this.#keyring().unseal(this.#aad(field), sealed);
  }

  /**
   * Opens the sealed value `sealed` read from `record`, and seals it again under the current key
   * when it was sealed under the previous one (one record, written alone).
   */
  async openRecord(record, field, sealed) {
    if (typeof sealed !== "string") return null;
    const plaintext = this.open(field, sealed);
    if (!this.#keyring().isCurrent(sealed)) await this.#storage.put(record, this.seal(field, plaintext));
    return plaintext;
  }

  // ---- reads ----

  get(record) {
    return this.#storage.get(record);
  }

  /** Several records in one read: a Map of those that exist. */
  getMany(records) {
    return this.#storage.get(records);
  }

  list(prefix, options = {}) {
    return this.#storage.list({ prefix, ...options });
  }

  async config() {
    return (await this.#storage.get(RECORD.CONFIG)) ?? null;
  }

  async requireConfig() {
    const config = await this.config();
    if (!config) throw new HttpError(404, Code.CONNECTION_NOT_FOUND, `There is no connection "${this.#id}".`);
    return config;
  }

  pendingAuthorizations() {
    return this.list(RECORD.PENDING_PREFIX);
  }

  // ---- writes ----

  /**
   * One change: `put` (record -> value) and `remove` (records), all of it or none of it. Every change
   * goes through here (the re-seal above is one record), so no operation can be cut between two of
   * its writes.
   */
  async commit({ put = {}, remove = [] }) {
    const puts = Object.keys(put).length > 0;
    if (!puts && remove.length === 0) return;
    await this.#storage.transaction(async (txn) => {
      if (puts) await txn.put(put);
      if (remove.length > 0) await txn.delete(remove);
    });
  }

  /** Removes every record of the connection. */
  deleteAll() {
    return this.#storage.deleteAll();
  }
}
