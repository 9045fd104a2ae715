// What the stateless worker needs to send one request to the instance, handed out by the connection's
// object so that the bytes themselves never pass through it: the target URL (built by the core:
// apiRequestUrl for /api/now/, restApiUrl for the other namespaces under /api/, each refusing any path
// that could leave its part of the instance), the Authorization header (a fresh token: refreshed
// first when due, single-flight), and the generation of the connection's tokens. After a 401 for a
// request without a streamed body, the worker asks once more with that generation: if the connection
// was re-pointed or authorized again meanwhile, the answer is 409 `connection_changed` and nothing is
// sent again — the retry only ever goes to the instance the request started with, with a token of
// that instance (RFC 6750 §3.1: a refused token is refreshed once).

import { Code, HttpError } from "../errors.js";

export class ForwardGrants {
  #opened;
  #keeper;
  #store;

  constructor(store, opened, keeper) {
    this.#store = store;
    this.#opened = opened;
    this.#keeper = keeper;
  }

  /**
   * `{url, authorization, generation, timeoutMs, instanceUrl, retryable}` for a request to `path` with
   * `query` (without "?"): below `/api/now/` for the `now` route, below `/api/` (any REST namespace)
   * for the `api` route.
   */
  async grant({ route, path, query }) {
    const loaded = await this.#opened.load();
    const { settings, connection, generation, timeoutMs } = loaded;
    const url = route === "api"
      ? connection.restApiUrl(path, query || undefined)
      : connection.apiRequestUrl(path, query || undefined);
    const granted = { url, generation, timeoutMs, instanceUrl: connection.config.instanceUrl };
    if (settings.authType !== "oauth2") {
      return { ...granted, authorization: connection.authorizationHeader(null), retryable: false };
    }
    const tokens = await this.#keeper.usable({ loaded });
    return { ...granted, authorization: connection.authorizationHeader(tokens), retryable: true };
  }

  /**
   * The Authorization for the one retry after the instance refused `authorization` with 401, if the
   * connection's tokens are still of `generation`; 409 `connection_changed` otherwise.
   */
  async retry({ generation, authorization }) {
    const loaded = await this.#opened.load();
    if (loaded.generation !== generation || loaded.settings.authType !== "oauth2") throw connectionChanged();
    const { connection, tokens: current } = loaded;
    // Unless another request has replaced the refused token already, it is refreshed (concurrent
    // 401s share one refresh).
    const refused = current !== null && connection.authorizationHeader(current) === authorization;
    const tokens = await this.#keeper.usable(refused ? { loaded, rejected: current.accessToken } : { loaded });
    // The refresh went over the network: the connection may have changed meanwhile.
    if ((await this.#store.config())?.generation !== generation) throw connectionChanged();
    return { authorization: connection.authorizationHeader(tokens) };
  }
}

function connectionChanged() {
  return new HttpError(409, Code.CONNECTION_CHANGED,
    "The connection was re-pointed or authorized again while this request waited for the instance, so it was not sent again. Try again.");
}
