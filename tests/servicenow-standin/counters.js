// Call counters that tests read to prove what a client did: how many token-endpoint calls of each
// grant type and how they ended, how many authorization requests, and how many API calls per route
// and status. Plain JSON so GET /__standin/counters and counters() return the same shape.

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
    };
  }

  // outcome: "ok" | "error" | "fault" | "hibernating"
  tokenCall(grantType, outcome) {
    const token = this.#data.token;
    token.total += 1;
    bump(token.byGrantType, grantType);
    bump(token.byOutcome, outcome);
    token.byGrantTypeAndOutcome[grantType] ??= {};
    bump(token.byGrantTypeAndOutcome[grantType], outcome);
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
