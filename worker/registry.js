// The list of connections, so that `GET /api/connections` is one call instead of one per connection.
// One Durable Object (named "registry") holds a summary per connection: id, name, auth type, grant (and
// a JWT's subject), instance,
// the non-secret token facts (state, expiry times, the token's ServiceNow user) and the time and
// classification of its last test. Each connection object publishes its
// summary after every change; a revision number per connection makes late, out-of-order publishes
// harmless, and a removal leaves a small tombstone so that a delayed publish cannot bring a deleted
// connection back. Nothing secret is ever stored here.

import { DurableObject } from "cloudflare:workers";

import { INTERACTIVE, describeTokens } from "./token-view.js";

const PREFIX = "connection:";

export class ConnectionRegistry extends DurableObject {
  async upsert(entry) {
    const key = PREFIX + entry.id;
    const known = await this.ctx.storage.get(key);
    if (known && known.revision >= entry.revision) return false;
    await this.ctx.storage.put(key, entry);
    return true;
  }

  async remove(id, revision) {
    const key = PREFIX + id;
    const known = await this.ctx.storage.get(key);
    if (known && known.revision >= revision) return false;
    await this.ctx.storage.put(key, { id, revision, deleted: true });
    return true;
  }

  /** Whether a live connection has this id. */
  async has(id) {
    const known = await this.ctx.storage.get(PREFIX + id);
    return known !== undefined && !known.deleted;
  }

  /** Summaries of all live connections, by id, with the token status as of now. */
  async list() {
    const entries = await this.ctx.storage.list({ prefix: PREFIX });
    const now = Date.now();
    const connections = [];
    for (const entry of entries.values()) {
      if (entry.deleted) continue;
      connections.push({
        id: entry.id,
        name: entry.name,
        authType: entry.authType,
        // Entries published before grants were chosen are of the authorization-code grant.
        grantType: entry.authType === "oauth2" ? (entry.grant?.grantType ?? INTERACTIVE) : null,
        baseUrl: entry.baseUrl,
        instanceUrl: entry.instanceUrl,
        token: entry.authType === "oauth2" ? describeTokens(entry.tokenState, now, entry.grant ?? undefined) : null,
        // Entries published before last tests were recorded have none.
        lastTest: entry.lastTest ?? null,
        updatedAt: entry.updatedAt,
      });
    }
    connections.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return connections;
  }
}

export function registryStub(env) {
  return env.REGISTRY.get(env.REGISTRY.idFromName("registry"));
}
