// What a request on a connection works with, from one read of storage: the stored config, the
// settings with the secret opened (and the loopback switch from the worker's variables, never from
// storage), the core's `Connection` prepared from them, the opened token set and its state. Opening
// secrets and validating settings on every request would cost more than the rest of the request, so
// the opened values are kept in memory, keyed by the stored (sealed) values they came from: the object
// is the only writer of its storage, so the copies cannot go stale, and a new sealed value (a save, a
// refresh, a re-seal under a rotated key) is opened the next time it is read.

import { Connection, errorCodes } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { SECRET_FOR_AUTH_TYPE, secretRecordOf } from "./settings.js";
import { RECORD, SECRET_RECORD } from "./store.js";

const LOADED_RECORDS = [RECORD.CONFIG, SECRET_RECORD.password, SECRET_RECORD.clientSecret, RECORD.TOKENS, RECORD.TOKEN_STATE];

export class OpenedConnection {
  #store;
  #allowInsecureLoopback;
  #prepared = null;
  #openedTokens = null;

  constructor(store, allowInsecureLoopback) {
    this.#store = store;
    this.#allowInsecureLoopback = allowInsecureLoopback;
  }

  /**
   * `{config, settings, connection, tokens, tokenState, generation, timeoutMs}`; 404 when there is
   * no connection, 409 when its stored settings no longer validate in this worker.
   */
  async load() {
    const values = await this.#store.getMany(LOADED_RECORDS);
    const config = values.get(RECORD.CONFIG);
    if (!config) throw new HttpError(404, Code.CONNECTION_NOT_FOUND, `There is no connection "${this.#store.id}".`);
    const { settings, connection } = await this.prepare(config, values.get(secretRecordOf(config.settings)) ?? null);
    return {
      config,
      settings,
      connection,
      tokens: await this.#tokens(values.get(RECORD.TOKENS) ?? null),
      tokenState: values.get(RECORD.TOKEN_STATE) ?? null,
      generation: config.generation,
      timeoutMs: connection.config.timeoutMs,
    };
  }

  /**
   * The settings with the secret opened, and the core's `Connection` for them. `sealedSecret` is the
   * stored secret when the caller has read it already.
   */
  async prepare(config, sealedSecret) {
    const record = secretRecordOf(config.settings);
    const sealed = sealedSecret !== undefined ? sealedSecret : ((await this.#store.get(record)) ?? null);
    const key = JSON.stringify([config.settings, sealed, this.#allowInsecureLoopback]);
    if (this.#prepared?.key === key) return this.#prepared;
    const settings = { ...config.settings, allowInsecureLoopback: this.#allowInsecureLoopback };
    const field = SECRET_FOR_AUTH_TYPE[config.settings.authType];
    const secret = await this.#store.openRecord(record, field, sealed);
    if (secret !== null) settings[field] = secret;
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
