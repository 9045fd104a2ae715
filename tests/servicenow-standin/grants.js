// The server-to-server grants of the token endpoint, registered on the OAuth engine as custom grant
// types (oidc-provider's registerGrantType; the engine has already authenticated the client by its
// id and secret when a handler runs):
// - client_credentials: only while the clientCredentialsEnabled switch (the instance property
//   glide.oauth.inbound.client.credential.grant_type.enabled) is on, and only for a client with an
//   OAuth Application User; the token acts as that user; no refresh token.
// - urn:ietf:params:oauth:grant-type:jwt-bearer: for a client with JWT-bearer settings; the
//   assertion is checked by jwt_assertion.js; the token acts as the assertion's subject; no
//   refresh token.
// - password: for seeded users, only for a client that allows it and while the
//   passwordGrantDisabled switch (glide.oauth.inbound.ropc.grant_type.disabled) is off; a refresh
//   token comes with it and refreshes like one from the code grant.
// A refused request throws an engine error (the RFC 6749 §5.2 answer, which oauth.js turns into
// ServiceNow's 401 unless the "rfc" error style is on) and notes a reason code for the counters.
// Sources: ServiceNow docs "Client Credentials", "Add the OAuth Application User", "Create an OAuth
// JWT API endpoint for external clients" ("The inbound JWT grant type doesn't include refresh
// tokens"), "Resource owner password credential grant workflow", "Disable resource owner password
// credentials (ROPC) in OAuth 2 token grants"; RFC 6749 §4.3, §4.4, §5.2; RFC 7523.

import { errors } from "./engine.js";
import { AssertionRefused } from "./jwt_assertion.js";
import { safeEqual } from "./rest_auth.js";

export const GRANT_TYPES = Object.freeze({
  clientCredentials: "client_credentials",
  password: "password",
  jwtBearer: "urn:ietf:params:oauth:grant-type:jwt-bearer",
});

// What a live instance answered when the client has no OAuth Application User (reported in
// the GitHub project refractionPOINT/documentation pull request 283); the status is assumed to be the 401
// the instance gives its other grant errors.
export const NO_APPLICATION_USER = Object.freeze({ error: "unauthorized_client", error_description: "integration user is not configured" });

/** Refuses the token request: notes the reason, optionally the ServiceNow-style answer, and throws. */
function refuse(ctx, reason, error, description, servicenowAnswer) {
  ctx.state.standinRefusal = reason;
  if (servicenowAnswer) ctx.state.servicenowAnswer = servicenowAnswer;
  throw new errors.CustomOIDCProviderError(error, description);
}

/**
 * Registers the three grants on `provider`.
 * @param {object} provider the oidc-provider instance
 * @param {{ store, switches, clientGrants, verifier, defaultScope: string, scopes: string[] }} deps
 */
export function registerServerGrants(provider, { store, switches, clientGrants, verifier, defaultScope, scopes }) {
  function scopeOf(ctx) {
    const requested = ctx.oidc.params.scope;
    if (!requested) return defaultScope;
    const words = requested.split(" ").filter(Boolean);
    const unknown = words.filter((word) => !scopes.includes(word));
    if (unknown.length) refuse(ctx, "scope_unknown", "invalid_scope", `unknown scope ${unknown.join(" ").slice(0, 100)}`);
    return words.join(" ");
  }

  // Issues an access token (and with `refresh`, a grant and a refresh token) acting as accountId.
  async function issue(ctx, { accountId, gty, scope, refresh }) {
    const { client } = ctx.oidc;
    let grantId;
    if (refresh) {
      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope(scope);
      grantId = await grant.save();
    }
    const at = new provider.AccessToken({ accountId, client, grantId, gty, scope });
    const accessToken = await at.save();
    let refreshToken;
    if (refresh) {
      refreshToken = await new provider.RefreshToken({ accountId, client, grantId, gty, scope, rotations: 0 }).save();
    }
    ctx.body = {
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      scope,
      token_type: "Bearer",
      expires_in: at.expiration,
    };
  }

  provider.registerGrantType(GRANT_TYPES.clientCredentials, async (ctx) => {
    if (!switches.get("clientCredentialsEnabled")) {
      refuse(ctx, "client_credentials_disabled", "unsupported_grant_type",
        "the client credentials grant is not enabled (system property glide.oauth.inbound.client.credential.grant_type.enabled)");
    }
    const { applicationUser } = clientGrants.get(ctx.oidc.client.clientId);
    if (!applicationUser || !store.user(applicationUser)) {
      refuse(ctx, "application_user_missing", NO_APPLICATION_USER.error, NO_APPLICATION_USER.error_description,
        { status: 401, body: { ...NO_APPLICATION_USER } });
    }
    const scope = scopeOf(ctx);
    await issue(ctx, { accountId: applicationUser, gty: GRANT_TYPES.clientCredentials, scope, refresh: false });
  }, ["scope"]);

  provider.registerGrantType(GRANT_TYPES.password, async (ctx) => {
    if (switches.get("passwordGrantDisabled")) {
      refuse(ctx, "password_grant_disabled", "unsupported_grant_type",
        "the password grant is disabled on this instance (system property glide.oauth.inbound.ropc.grant_type.disabled)");
    }
    if (!clientGrants.get(ctx.oidc.client.clientId).passwordGrant) {
      refuse(ctx, "password_grant_not_allowed", "unauthorized_client", "this client is not allowed the password grant");
    }
    const { username, password } = ctx.oidc.params;
    if (!username || !password) refuse(ctx, "credentials_missing", "invalid_request", "username and password are required");
    const user = store.user(username);
    if (!user || !safeEqual(user.password, password)) {
      refuse(ctx, "user_credentials_invalid", "invalid_grant", "the user name or password is not valid");
    }
    const scope = scopeOf(ctx);
    await issue(ctx, { accountId: user.user_name, gty: GRANT_TYPES.password, scope, refresh: true });
  }, ["username", "password", "scope"]);

  provider.registerGrantType(GRANT_TYPES.jwtBearer, async (ctx) => {
    const clientId = ctx.oidc.client.clientId;
    const { jwtBearer } = clientGrants.get(clientId);
    if (!jwtBearer) refuse(ctx, "jwt_bearer_not_configured", "unauthorized_client", "this client has no JWT bearer settings");
    let user;
    try {
      user = await verifier.verify(ctx.oidc.params.assertion, clientId, jwtBearer);
    } catch (error) {
      if (!(error instanceof AssertionRefused)) throw error;
      refuse(ctx, error.reason, error.reason === "assertion_missing" ? "invalid_request" : "invalid_grant", error.message);
    }
    const scope = scopeOf(ctx);
    await issue(ctx, { accountId: user.user_name, gty: "jwt-bearer", scope, refresh: false });
  }, ["assertion", "scope"]);
}
