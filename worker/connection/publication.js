// Keeps the registry's summary of this connection (registry.js) in step with its storage: after every
// change the object sends its id, name, auth type, grant, instance, token state and last test, with a revision that
// only grows, so late or out-of-order publishes are ignored there. A failure is logged, not thrown:
// the change itself is stored, and the next change publishes again.

import { registryStub } from "../registry.js";
import { grantOfSettings } from "../token-view.js";
import { RECORD } from "./store.js";

export class RegistryPublication {
  #env;
  #store;
  #lastRevision = 0;

  constructor(env, store) {
    this.#env = env;
    this.#store = store;
  }

  #nextRevision() {
    this.#lastRevision = Math.max(Date.now(), this.#lastRevision + 1);
    return this.#lastRevision;
  }

  async publish() {
    try {
      const records = await this.#store.getMany([RECORD.CONFIG, RECORD.TOKEN_STATE, RECORD.LAST_TEST]);
      const config = records.get(RECORD.CONFIG);
      if (!config) return;
      await registryStub(this.#env).upsert({
        id: config.id,
        revision: this.#nextRevision(),
        name: config.name,
        authType: config.settings.authType,
        grant: config.settings.authType === "oauth2" ? grantOfSettings(config.settings) : null,
        baseUrl: config.settings.baseUrl,
        instanceUrl: config.fingerprint.instanceUrl,
        tokenState: records.get(RECORD.TOKEN_STATE) ?? null,
        lastTest: records.get(RECORD.LAST_TEST) ?? null,
        updatedAt: config.updatedAt,
      });
    } catch (error) {
      this.#failed(error);
    }
  }

  async publishRemoval() {
    try {
      await registryStub(this.#env).remove(this.#store.id, this.#nextRevision());
    } catch (error) {
      this.#failed(error);
    }
  }

  #failed(error) {
    console.error(JSON.stringify({ event: "registry_publish_failed", connection: this.#store.id, name: error?.name }));
  }
}
