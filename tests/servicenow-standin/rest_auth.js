// Who is calling a REST API: HTTP Basic for seeded users (unless Basic is switched off, as on
// instances that turned it off) or a Bearer access token this stand-in issued and that is still
// live. Anything else is nobody, which the REST pipeline answers with 401 User Not Authenticated.
// Sources: ServiceNow "REST API security" (Basic and OAuth bearer tokens on inbound REST).

import { timingSafeEqual } from "node:crypto";

/** Constant-time comparison of two secrets. */
export function safeEqual(expected, given) {
  const a = Buffer.from(String(expected));
  const b = Buffer.from(String(given));
  return a.length === b.length && timingSafeEqual(a, b);
}

export class RestAuthenticator {
  constructor({ oauth, store, switches }) {
    this.oauth = oauth;
    this.store = store;
    this.switches = switches;
  }

  /** The seeded user behind the request's Authorization header, or undefined. */
  async user(req) {
    const header = req.headers.authorization;
    if (typeof header !== "string") return undefined;
    const space = header.indexOf(" ");
    if (space === -1) return undefined;
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (scheme === "basic") {
      if (this.switches.get("basicDisabled")) return undefined;
      const decoded = Buffer.from(credentials, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon === -1) return undefined;
      const user = this.store.user(decoded.slice(0, colon));
      return user && safeEqual(user.password, decoded.slice(colon + 1)) ? user : undefined;
    }
    if (scheme === "bearer") {
      const accountId = await this.oauth.accountForAccessToken(credentials);
      return accountId === undefined ? undefined : this.store.user(accountId);
    }
    return undefined;
  }
}
