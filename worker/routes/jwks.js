// GET /oauth2/jwks/<connection id>/<tag>: the public keys of a JWT-bearer connection as a JWKS
// document (RFC 7517 §5), for the instance to check the connection's assertions (ServiceNow's JWT
// verifier map takes a JWKS URL). Public, as a JWKS URL must be, and guarded by its tag
// (jwks-url.js): a path this worker did not issue — made up, altered, another connection's tag — is
// 404 before any connection's object is touched, so it creates no storage. The document holds public
// keys only; it is kept as JSON next to the sealed private key, so serving it opens no secret.

import { connectionStub } from "../connection-stub.js";
import { keyring } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { checkJwksPath } from "../jwks-url.js";

function notFound() {
  return new HttpError(404, Code.NOT_FOUND, "There is no such key set.");
}

export async function jwksDocument(c) {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    throw new HttpError(405, Code.METHOD_NOT_ALLOWED, `${c.req.method} is not allowed on a key set.`, { headers: { allow: "GET, HEAD" } });
  }
  // The tag is made under the sealing key: without one, no URL can be told from a forged one.
  keyring(c.env);
  const connectionId = await checkJwksPath(c.env, c.req.path);
  if (connectionId === null) throw notFound();
  c.set("connectionId", connectionId);
  const response = await connectionStub(c.env, connectionId).jwks(connectionId);
  return c.req.method === "HEAD" ? new Response(null, response) : new Response(response.body, response);
}
