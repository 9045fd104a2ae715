// Call counters that tests read to prove what a client did: how many token-endpoint calls of each
// grant type and how they ended, why refused grants were refused, how many authorization requests,
// how many API calls per route and status, and how often a client's JWKS URL was fetched. Plain
// JSON so GET /__standin/counters and counters() return the same shape.

function bump(map, key, by = 1) {
  map[key] = (map[key] ?? 0) + by;
}

export class Counters {
  #data;

  constructor() {
    this.reset();
  }

  reset() {
    this.#data = {
      token: { total: 0, byGrantType: {}, byOutcome: {}, byGrantTypeAndOutcome: {} },
      authorization: { total: 0 },
      revocation: { total: 0 },
      api: { total: 0, byRoute: {}, byStatus: {} },
      refusals: {},
      jwks: { total: 0, byOutcome: {} },
    };
  }

  // outcome: "ok" | "error" | "fault" | "hibernating"; reason: why an "error" was refused, when known
  tokenCall(grantType, outcome, reason) {
    const token = this.#data.token;
    token.total += 1;
    bump(token.byGrantType, grantType);
    bump(token.byOutcome, outcome);
    token.byGrantTypeAndOutcome[grantType] ??= {};
    bump(token.byGrantTypeAndOutcome[grantType], outcome);
    if (outcome === "error" && reason) {
      this.#data.refusals[grantType] ??= {};
      bump(this.#data.refusals[grantType], reason);
    }
  }

  // outcome: "ok" | "error" | "refused" (a URL that is not on 127.0.0.1)
  jwksFetch(outcome) {
    this.#data.jwks.total += 1;
    bump(this.#data.jwks.byOutcome, outcome);
  }

  authorizationCall() {
    this.#data.authorization.total += 1;
  }

  revocationCall() {
    this.#data.revocation.total += 1;
  }

  apiCall(route, status) {
    const api = this.#data.api;
    api.total += 1;
    bump(api.byStatus, String(status));
    api.byRoute[route] ??= { total: 0, byStatus: {} };
    api.byRoute[route].total += 1;
    bump(api.byRoute[route].byStatus, String(status));
  }

  snapshot() {
    return structuredClone(this.#data);
  }
}
