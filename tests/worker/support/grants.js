// Helpers for the tests of the unattended grants: signing key pairs made with Node's crypto (their
// private keys remembered as secrets for the leak checks, in PEM and as the bare base64 of the key),
// the JWK thumbprint a key's id is (RFC 7638), a stand-in client set up for the client-credentials,
// password and JWT-bearer grants, and the settings of a connection of each grant.

import { createHash, generateKeyPairSync } from "node:crypto";

import { CLIENT_SECRET, secrets, seedPassword } from "./harness.js";
import { recordSecret } from "./transcript.js";

export const GRANTS_CLIENT_ID = "worker-grants-client";
/** The user client-credentials tokens act as (the client's OAuth Application User). */
export const APPLICATION_USER = "itil.user";
/** The user the password grant logs in as. */
export const PASSWORD_USER = "itil.user";
/** The user JWT assertions name. */
export const JWT_SUBJECT = "admin";

/** Remembers a private key (PEM) as a secret, also its base64 body on one line. */
export function rememberPrivateKey(pem) {
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  for (const [kind, value] of [["private_key", pem], ["private_key_body", body]]) {
    secrets.add(value);
    recordSecret(kind, value);
  }
  return pem;
}

/** RFC 7638 thumbprint of a public JWK: its required members in order, SHA-256, base64url. */
export function thumbprint(jwk) {
  const members = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

/**
 * A new key pair: `{privateKey (PKCS#8 PEM), publicKey (SPKI PEM), jwk (public), keyId (thumbprint)}`,
 * RSA 2048 for RS256 or P-256 for ES256.
 */
export function signingKeyPair(algorithm = "RS256") {
  const { privateKey, publicKey } = algorithm === "ES256"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  return {
    privateKey: rememberPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" })),
    publicKey: publicKey.export({ type: "spki", format: "pem" }),
    jwk,
    keyId: thumbprint(jwk),
  };
}

/**
 * (Re-)adds the stand-in client every grant test uses: an application user, the password grant, and
 * JWT-bearer settings when given (`jwtBearer`, the stand-in's client setting).
 */
export async function addGrantsClient(standin, worker, { jwtBearer = null, applicationUser = APPLICATION_USER, passwordGrant = true } = {}) {
  await standin.addClient({
    clientId: GRANTS_CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${worker.origin}/oauth2/callback`],
    applicationUser,
    passwordGrant,
    jwtBearer,
  });
}

/** Settings of an OAuth 2.0 connection with `grantType` on `standin` (a key pair for JWT bearer). */
export function grantSettings(standin, grantType, extra = {}) {
  const settings = {
    name: `${grantType} to the stand-in`,
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    grantType,
    clientId: GRANTS_CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  };
  if (grantType === "password") Object.assign(settings, { username: PASSWORD_USER, password: seedPassword(standin, PASSWORD_USER) });
  if (grantType === "jwt_bearer") settings.jwtSubject = JWT_SUBJECT;
  return { ...settings, ...extra };
}

/** The stand-in's token calls of one grant type, by outcome. */
export function tokenCalls(standin, grantType) {
  const name = grantType === "jwt_bearer" ? "urn:ietf:params:oauth:grant-type:jwt-bearer" : grantType;
  return standin.counters().token.byGrantTypeAndOutcome[name] ?? {};
}
