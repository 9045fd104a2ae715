// What a request on a connection works with, from one read of storage: the stored config, the
// settings with their secrets opened (and the network switches from the worker's variables, never
// from storage), the core's `Connection` prepared from them, the opened token set and its state. Opening
// secrets and validating settings on every request would cost more than the rest of the request, so
// the opened values are kept in memory, keyed by the stored (sealed) values they came from: the object
// is the only writer of its storage, so the copies cannot go stale, and a new sealed value (a save, a
// refresh, a re-seal under a rotated key) is opened the next time it is read. A JWT-bearer connection
// without a key id of its own signs with its key's thumbprint as `kid`, the key id its key set
// (signing-keys.js) lists, so an instance that picks keys by `kid` finds it.

import { Connection, errorCodes } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { grantTypeOf, secretFieldsOf } from "./settings.js";
import { RECORD, SECRET_RECORD } from "./store.js";

const SECRET_RECORDS = Object.values(SECRET_RECORD);
const LOADED_RECORDS = [RECORD.CONFIG, ...SECRET_RECORDS, RECORD.SIGNING_KEYS, RECORD.TOKENS, RECORD.TOKEN_STATE];

export class OpenedConnection {
  #store;
  #switches;
  #prepared = null;
  #openedTokens = null;

  /** `switches`: the worker's network switches (environment.js networkSwitches). */
  constructor(store, switches) {
    this.#store = store;
    this.#switches = switches;
  }

  /**
   * `{config, settings, connection, grantType, tokens, tokenState, generation, timeoutMs}`; 404 when
   * there is no connection, 409 when its stored settings no longer validate in this worker.
   * `grantType` is null for Basic.
   */
  async load() {
    const values = await this.#store.getMany(LOADED_RECORDS);
    const config = values.get(RECORD.CONFIG);
    if (!config) throw new HttpError(404, Code.CONNECTION_NOT_FOUND, `There is no connection "${this.#store.id}".`);
    const { settings, connection } = await this.prepare(config, values);
    return {
      config,
      settings,
      connection,
      grantType: grantTypeOf(config.settings),
      tokens: await this.#tokens(values.get(RECORD.TOKENS) ?? null),
      tokenState: values.get(RECORD.TOKEN_STATE) ?? null,
      generation: config.generation,
      timeoutMs: connection.config.timeoutMs,
    };
  }

  /**
   * The settings with the secrets opened, and the core's `Connection` for them. `values` holds the
   * stored secrets and signing keys when the caller has read them already.
   */
  async prepare(config, values) {
    const read = values ?? (await this.#store.getMany([...SECRET_RECORDS, RECORD.SIGNING_KEYS]));
    const fields = secretFieldsOf(config.settings);
    const sealed = fields.map((field) => read.get(SECRET_RECORD[field]) ?? null);
    const keyId = read.get(RECORD.SIGNING_KEYS)?.current?.keyId ?? null;
    const key = JSON.stringify([config.settings, sealed, keyId, this.#switches]);
    if (this.#prepared?.key === key) return this.#prepared;
    const settings = { ...config.settings, ...this.#switches };
    for (const [index, field] of fields.entries()) {
      const secret = await this.#store.openRecord(SECRET_RECORD[field], field, sealed[index]);
      if (secret !== null) settings[field] = secret;
    }
    if (grantTypeOf(config.settings) === "jwt_bearer" && !settings.jwtKeyId && keyId) settings.jwtKeyId = keyId;
    let connection;
    try {
      connection = new Connection(settings);
    } catch (error) {
      if (error?.code !== errorCodes.invalid_config) throw error;
      const first = error.errors?.[0] ?? { message: error.message, field: error.field };
      throw new HttpError(409, errorCodes.invalid_config,
        `The stored settings are not valid in this worker: ${first.message}`, { field: first.field, errors: error.errors });
    }
    // Keyed by what was read before opening: a re-sealed secret misses once, then hits again. The
    // replaced Connection is not freed here: a request that began earlier may still be using it,
    // and the runtime's finalizer releases it once nothing refers to it.
    this.#prepared = { key, settings, connection };
    return this.#prepared;
  }

  /** The token set, opened once per sealed value and kept while the stored value stays the same. */
  async #tokens(sealed) {
    if (sealed === null) return null;
    if (this.#openedTokens?.sealed === sealed) return this.#openedTokens.tokens;
    const tokens = JSON.parse(await this.#store.openRecord(RECORD.TOKENS, "tokens", sealed));
    this.#openedTokens = { sealed, tokens };
    return tokens;
  }
}
