// The part of oauth4webapi that does this package's OAuth job: PKCE, state, the authorization URL's
// inputs, the code exchange, refresh, and client authentication (secret in the body or HTTP Basic).
// Bundled and minified by the benchmark to compare its size with ours.
export {
  generateRandomCodeVerifier,
  calculatePKCECodeChallenge,
  generateRandomState,
  validateAuthResponse,
  authorizationCodeGrantRequest,
  processAuthorizationCodeResponse,
  refreshTokenGrantRequest,
  processRefreshTokenResponse,
  ClientSecretPost,
  ClientSecretBasic,
  customFetch,
} from "oauth4webapi";
