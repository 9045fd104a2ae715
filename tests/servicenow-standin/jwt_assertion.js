// Checks the assertion of a JWT-bearer token request (RFC 7523 §3) the way an instance's "OAuth JWT
// API endpoint" does: the signature against the client's verifier keys (PEM certificate or SPKI
// public key, chosen by `kid` when the header has one) or its JWKS URL, with RS256/384/512 or
// ES256/384/512; `iss` (the client id unless the client says otherwise); `aud` (the client id
// and/or the token endpoint, as the client accepts); `sub` matched to one seeded user on the
// client's user field; `exp` and `iat` present, `exp` not passed and `iat` not in the future
// (both with the client's clock skew); and, with JTI verification on (the default), a `jti` that
// was never accepted before. Every refusal carries a stable reason code for counters and tests.
// All JOSE work (key import, signature, claims) is done by the `jose` library.
// Sources: RFC 7523 §3 and §3.1; ServiceNow docs "Create an OAuth JWT API endpoint for external
// clients" (claims, User Field, Enable JTI Verification, verifier maps, Clock Skew, supported
// algorithms), "Configure an OAuth JSON web token bearer grant" (JWKS URL), "JSON Web token bearer
// grant" (aud is the token endpoint in newer releases).

import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors as joseErrors,
  importSPKI,
  importX509,
  jwtVerify,
} from "jose";

import { loopbackJwksUrl } from "./client_grants.js";

export const ASSERTION_ALGORITHMS = Object.freeze(["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]);
// jose checks that `iat` is not in the future only together with a maximum age; no maximum is
// documented for instances, so the age allowed is effectively unlimited.
const UNLIMITED_AGE_SECONDS = 100 * 365 * 24 * 3600;
const JWKS_TIMEOUT_MS = 5000;
const MAX_ASSERTION_CHARS = 16 * 1024;

export class AssertionRefused extends Error {
  constructor(reason, description) {
    super(description);
    this.name = "AssertionRefused";
    this.reason = reason;
  }
}

function importPem(pem, alg) {
  return pem.includes("-----BEGIN CERTIFICATE-----") ? importX509(pem, alg) : importSPKI(pem, alg);
}

// The refusal a failed claim check stands for.
function claimRefusal(error) {
  if (error instanceof joseErrors.JWTExpired) {
    return new AssertionRefused("assertion_expired", "the assertion has expired (exp)");
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === "missing") {
      return new AssertionRefused("assertion_claim_missing", `the assertion has no ${error.claim} claim`);
    }
    const reasons = {
      iss: ["assertion_issuer", "the assertion's issuer (iss) is not this client"],
      aud: ["assertion_audience", "the assertion's audience (aud) is not accepted by this client"],
      iat: ["assertion_issued_in_future", "the assertion is issued in the future (iat)"],
      nbf: ["assertion_not_yet_valid", "the assertion is not valid yet (nbf)"],
    };
    const [reason, description] = reasons[error.claim] ?? ["assertion_claims", `the assertion's ${error.claim} claim is not valid`];
    return new AssertionRefused(reason, description);
  }
  return undefined;
}

export class AssertionVerifier {
  #usedJtis = new Map();
  #remoteSets = new Map();

  /**
   * @param {{ store: import("./store.js").TableStore, counters: import("./counters.js").Counters, tokenEndpoint: string }} options
   */
  constructor({ store, counters, tokenEndpoint }) {
    this.store = store;
    this.counters = counters;
    this.tokenEndpoint = tokenEndpoint;
  }

  /** Forgets the cached JWKS of a client whose settings changed (used jti values stay used). */
  forgetClient(clientId) {
    this.#remoteSets.delete(clientId);
  }

  // The fetch behind a client's JWKS URL: loopback only (checked again here), counted, no redirects.
  #jwksFetch = async (url, init) => {
    try {
      loopbackJwksUrl(url);
    } catch (error) {
      this.counters.jwksFetch("refused");
      throw error;
    }
    try {
      const response = await fetch(url, { ...init, redirect: "manual" });
      this.counters.jwksFetch(response.status === 200 ? "ok" : "error");
      return response;
    } catch (error) {
      this.counters.jwksFetch("error");
      throw error;
    }
  };

  #remoteSet(clientId, config) {
    const key = `${config.jwksUrl} ${config.jwksCacheSeconds}`;
    const cached = this.#remoteSets.get(clientId);
    if (cached?.key === key) return cached.set;
    const set = createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: 0,
      cacheMaxAge: config.jwksCacheSeconds * 1000,
      [customFetch]: this.#jwksFetch,
    });
    this.#remoteSets.set(clientId, { key, set });
    return set;
  }

  #audiences(clientId, config) {
    return config.audiences.map((audience) => (audience === "client_id" ? clientId : this.tokenEndpoint));
  }

  /**
   * Verifies `assertion` for `clientId` under its JWT-bearer settings; resolves to the seeded user
   * it names, or rejects with AssertionRefused.
   */
  async verify(assertion, clientId, config) {
    if (typeof assertion !== "string" || assertion === "") {
      throw new AssertionRefused("assertion_missing", "the assertion parameter is missing");
    }
    if (assertion.length > MAX_ASSERTION_CHARS) throw new AssertionRefused("assertion_malformed", "the assertion is too long");
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw new AssertionRefused("assertion_malformed", "the assertion is not a signed JWT");
    }
    if (assertion.split(".").length !== 3) throw new AssertionRefused("assertion_malformed", "the assertion is not a signed JWT");
    if (!ASSERTION_ALGORITHMS.includes(header.alg)) {
      throw new AssertionRefused("assertion_algorithm", `the assertion's algorithm ${String(header.alg).slice(0, 20)} is not supported`);
    }
    const options = {
      algorithms: ASSERTION_ALGORITHMS,
      issuer: config.issuer ?? clientId,
      audience: this.#audiences(clientId, config),
      clockTolerance: config.clockSkewSeconds,
      maxTokenAge: UNLIMITED_AGE_SECONDS,
      requiredClaims: ["exp", "iat", "sub", ...(config.jtiVerification ? ["jti"] : [])],
    };
    const payload = await this.#verifySignatureAndClaims(assertion, header, clientId, config, options);

    const user = typeof payload.sub === "string" ? this.store.findUser(config.userField, payload.sub) : undefined;
    if (!user) throw new AssertionRefused("assertion_subject", `no user matches the assertion's subject (sub) on ${config.userField}`);
    if (config.jtiVerification) this.#useJti(clientId, payload, config.clockSkewSeconds);
    return user;
  }

  // Tries the client's keys for the header's kid, then keys without a kid, then the JWKS URL. The
  // first key that verifies the signature decides; claim failures are final.
  async #verifySignatureAndClaims(assertion, header, clientId, config, options) {
    const candidates = [
      ...config.keys.filter((key) => header.kid !== undefined && key.kid === header.kid),
      ...config.keys.filter((key) => key.kid === undefined),
    ];
    for (const candidate of candidates) {
      let key;
      try {
        key = await importPem(candidate.pem, header.alg);
      } catch {
        continue; // a key of another type than the algorithm needs
      }
      const outcome = await this.#attempt(assertion, key, options);
      if (outcome.payload) return outcome.payload;
    }
    if (config.jwksUrl) {
      const outcome = await this.#attempt(assertion, this.#remoteSet(clientId, config), options);
      if (outcome.payload) return outcome.payload;
      if (outcome.jwksUnavailable) throw new AssertionRefused("jwks_unavailable", "the client's JWKS could not be fetched");
    }
    throw new AssertionRefused("assertion_signature", "the assertion's signature does not verify with any key of this client");
  }

  async #attempt(assertion, key, options) {
    try {
      return { payload: (await jwtVerify(assertion, key, options)).payload };
    } catch (error) {
      const refusal = claimRefusal(error);
      if (refusal) throw refusal;
      if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
        throw new AssertionRefused("assertion_malformed", "the assertion is not a valid JWT");
      }
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof joseErrors.JOSEError && error.code === "ERR_JOSE_GENERIC")) {
        return { jwksUnavailable: true };
      }
      if (error instanceof TypeError || error?.name === "ClientSettingsError") return { jwksUnavailable: true };
      return {};
    }
  }

  #useJti(clientId, payload, skewSeconds) {
    if (typeof payload.jti !== "string" || payload.jti === "") {
      throw new AssertionRefused("assertion_claim_missing", "the assertion has no jti claim");
    }
    const now = Date.now();
    const used = this.#usedJtis.get(clientId) ?? new Map();
    for (const [jti, until] of used) if (until <= now) used.delete(jti);
    if (used.has(payload.jti)) throw new AssertionRefused("assertion_replayed", "the assertion's jti was already used");
    // Remembered until the assertion could no longer pass the exp check anyway.
    used.set(payload.jti, (payload.exp + skewSeconds) * 1000 + 1000);
    this.#usedJtis.set(clientId, used);
  }
}
