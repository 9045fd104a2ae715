// Sealed values in a connection's Durable Object storage: passwords, client secrets, token sets and
// PKCE verifiers are kept only as AES-256-GCM blobs made by the core's Keyring (src/seal.rs), bound
// to `<connection id>:<field>` as associated data so a blob copied to another connection or field
// does not open. A blob sealed under SEALING_KEY_PREVIOUS is sealed again under SEALING_KEY when it is
// read, which finishes a key rotation without a migration step.

export class Vault {
  #storage;
  #keyring;
  #id;

  constructor(storage, keyring, connectionId) {
    this.#storage = storage;
    this.#keyring = keyring;
    this.#id = connectionId;
  }

  #aad(field) {
    return `${this.#id}:${field}`;
  }

  /** Seals `plaintext` for `field` (without storing it), e.g. to place inside a larger record. */
  seal(field, plaintext) {
    return this.#keyring.seal(this.#aad(field), plaintext);
  }

  /** Opens a blob sealed for `field`; throws the core's ConnectionError when it cannot. */
  open(field, sealed) {
    return this.#keyring.unseal(this.#aad(field), sealed);
  }

  isCurrent(sealed) {
    return this.#keyring.isCurrent(sealed);
  }

  /** The plaintext stored at `key`, or null; re-sealed under the current key when it was not. */
  async read(key, field) {
    const sealed = await this.#storage.get(key);
    if (typeof sealed !== "string") return null;
    const plaintext = this.open(field, sealed);
    if (!this.isCurrent(sealed)) await this.#storage.put(key, this.seal(field, plaintext));
    return plaintext;
  }

  async write(key, field, plaintext) {
    await this.#storage.put(key, this.seal(field, plaintext));
  }
}
