// A TypeScript consumer of the package that uses every export with its real types. It is only
// type-checked (`npm run test:types`, tsc --strict): the `@ts-expect-error` lines prove the types are
// precise, as tsc fails when a line marked so does not fail.

import init, {
  Connection,
  Keyring,
  apiRequestUrl,
  authorizationHeader,
  authorizationRequest,
  basicAuthorization,
  codeExchangeRequest,
  errorCodes,
  exchangeCode,
  fieldCodes,
  generateSigningKey,
  grantRequest,
  initSync,
  isHibernationPage,
  issuerMatches,
  parseCallback,
  processTestResponse,
  processTokenResponse,
  publicSigningKey,
  refreshRequest,
  refreshTokens,
  renewTokens,
  requestTokens,
  restApiUrl,
  testCodes,
  testConnection,
  testConnectionRequest,
  testResultFromError,
  tokenStatus,
  tokenSummary,
  validateConfig,
} from "servicenow-connection";
import type {
  AuthorizationOptions,
  AuthorizationRequest,
  CallbackResult,
  ClientAuthentication,
  CodeGrant,
  ConnectionError,
  ConnectionOptions,
  ConnectionSettings,
  ErrorCode,
  FieldError,
  FieldErrorCode,
  GrantType,
  HttpRequestData,
  HttpResponseData,
  JwtAlgorithm,
  NormalizedConfig,
  NormalizedGrant,
  PublicJwk,
  PublicSigningKey,
  SigningKeyOptions,
  SigningKeyPair,
  TestCode,
  TestConnectionStart,
  TestResult,
  TokenSet,
  TokenStatus,
  TokenSummary,
  TokenTimes,
  ValidateOptions,
  ValidationResult,
} from "servicenow-connection";

export async function start(bytes: ArrayBuffer): Promise<void> {
  initSync({ module: bytes });
  await init();
}

const settings: ConnectionSettings = {
  baseUrl: "https://dev8954.service-now.com/api/now/v2",
  authType: "oauth2",
  clientId: "client",
  clientSecret: "secret",
  clientAuthentication: "client_secret_post",
  refreshTokenLifetimeSeconds: 8_640_000,
  timeoutMs: 15_000,
  allowInsecureLoopback: false,
  allowPrivateNetwork: false,
};
// @ts-expect-error: the authentication type is a closed set
export const wrongAuth: ConnectionSettings = { baseUrl: "https://a.example/api/now", authType: "ntlm" };
// @ts-expect-error: the Base URL is required
export const noBase: ConnectionSettings = { authType: "basic" };

export function validation(): FieldErrorCode[] {
  const options: ValidateOptions = { storedSecrets: ["clientSecret"] };
  const result: ValidationResult = validateConfig(settings, options);
  const config: NormalizedConfig | undefined = result.config;
  if (config?.authType === "oauth2") {
    const method: ClientAuthentication = config.clientAuthentication;
    const seconds: number = config.refreshTokenLifetimeSeconds;
    void [method, seconds];
  } else if (config?.authType === "basic") {
    const username: string = config.username;
    void username;
  }
  const version: "latest" | "v1" | "v2" | undefined = config?.apiVersion;
  void version;
  const errors: FieldError[] = result.errors;
  return errors.map((error) => error.code);
}

export function codes(error: unknown): string {
  const connectionError = error as ConnectionError;
  const code: ErrorCode = connectionError.code;
  if (code === errorCodes.reauthorization_required) return "generate again";
  if (code === fieldCodes.private_address) return "allow private networks";
  const fieldCode: FieldErrorCode = fieldCodes.invalid_host;
  const testCode: TestCode = testCodes.hibernating;
  // @ts-expect-error: no such code
  const unknown: ErrorCode = "no_such_code";
  // @ts-expect-error: the tables are read-only
  errorCodes.timeout = "timeout";
  return [fieldCode, testCode, unknown, connectionError.field ?? "", connectionError.retryable].join();
}

export async function oauth(fetchImpl: ConnectionOptions["fetch"]): Promise<TokenStatus> {
  const authorizeOptions: AuthorizationOptions = { redirectUri: "https://w.example/oauth2/callback", scope: "useraccount" };
  const request: AuthorizationRequest = authorizationRequest(settings, authorizeOptions);
  const callback: CallbackResult = parseCallback(new URL(request.url).search);
  if (callback.kind !== "code") return "reauthorize";
  const grant: CodeGrant = { code: callback.code, redirectUri: authorizeOptions.redirectUri, codeVerifier: request.codeVerifier };
  const options: ConnectionOptions = fetchImpl ? { fetch: fetchImpl } : {};
  const tokens: TokenSet = await exchangeCode(settings, grant, options);
  const refreshed: TokenSet = await refreshTokens(settings, tokens, options);
  const nullable: string | null = refreshed.refreshToken;
  const type: "Bearer" = refreshed.tokenType;
  void [nullable, type];
  const times: TokenTimes = { issuedAt: tokens.issuedAt, expiresAt: tokens.expiresAt, refreshExpiresAt: null, hasRefreshToken: true };
  const summary: TokenSummary = tokenSummary(times, Date.now());
  const header: string = authorizationHeader(settings, refreshed);
  void [header, issuerMatches(settings, "https://dev8954.service-now.com")];
  return summary.status === "fresh" ? tokenStatus(refreshed) : tokenStatus(null, Date.now());
}

export async function testing(tokens: TokenSet | null): Promise<TestResult> {
  const result: TestResult = await testConnection(settings, tokens);
  const start: TestConnectionStart = testConnectionRequest(settings, tokens);
  if ("request" in start) {
    const request: HttpRequestData = start.request;
    const method: "GET" | "POST" = request.method;
    const headers: [string, string][] = request.headers;
    const response: HttpResponseData = { status: 200, headers: { "content-type": "application/json" }, body: "{}" };
    void [method, headers, isHibernationPage(response)];
    return processTestResponse(settings, response, Date.now());
  }
  const fromError: TestResult = testResultFromError(new Error("refresh failed"));
  return result.ok ? result : fromError;
}

export function halves(tokens: TokenSet): TokenSet {
  const exchange: HttpRequestData = codeExchangeRequest(settings, { code: "c", redirectUri: "https://w.example/cb", codeVerifier: "v".repeat(43) });
  const refresh: HttpRequestData = refreshRequest(settings, tokens);
  const answer: HttpResponseData = { status: 200, headers: {}, body: new Uint8Array() };
  const failed: HttpResponseData = { transportError: "timeout" };
  void [exchange, refresh, failed];
  return processTokenResponse(settings, "refresh_token", answer, Date.now(), tokens);
}

export async function prepared(tokens: TokenSet): Promise<string[]> {
  using connection = new Connection(settings, { fetch: (url, init) => fetch(url, init) });
  const config: NormalizedConfig = connection.config;
  const refreshed: TokenSet = await connection.refreshTokens(tokens);
  const result: TestResult = await connection.testConnection(refreshed);
  const urls = [
    connection.apiRequestUrl("table/incident", "sysparm_limit=1"),
    connection.restApiUrl("sn_sc/servicecatalog/items"),
    apiRequestUrl(settings, "table/incident"),
    restApiUrl(settings, "now/table/incident"),
    basicAuthorization("user", "password"),
    connection.authorizationHeader(refreshed),
    connection.authorizationRequest({ redirectUri: "https://w.example/cb" }).state,
    connection.codeExchangeRequest({ code: "c", redirectUri: "https://w.example/cb", codeVerifier: "v".repeat(43) }).url,
    connection.refreshRequest(refreshed).url,
    String(connection.issuerMatches("https://dev8954.service-now.com")),
    config.baseUrl,
    result.message,
  ];
  const next: TokenSet = await connection.exchangeCode({ code: "c", redirectUri: "https://w.example/cb", codeVerifier: "v".repeat(43) });
  const start: TestConnectionStart = connection.testConnectionRequest(next);
  const processed: TestResult = connection.processTestResponse({ transportError: "network" }, Date.now());
  const reread: TokenSet = connection.processTokenResponse("authorization_code", { status: 200, headers: {}, body: "{}" }, Date.now());
  void [start, processed, reread];
  return urls;
}

export function sealing(key: string, previous: string[]): string {
  const keyring = new Keyring(key, previous);
  const sealed: string = keyring.seal("conn:clientSecret", "secret");
  const current: boolean = keyring.isCurrent(sealed);
  const id: string = keyring.currentKeyId;
  const opened: string = keyring.unseal("conn:clientSecret", sealed);
  keyring.free();
  return `${current}${id}${opened}`;
}

// @ts-expect-error: the grant type is a closed set
export const wrongGrant: ConnectionSettings = { ...settings, grantType: "refresh_token" };

export async function grants(fetchImpl: ConnectionOptions["fetch"]): Promise<string[]> {
  const options: ConnectionOptions = fetchImpl ? { fetch: fetchImpl } : {};
  const keyOptions: SigningKeyOptions = { algorithm: "ES256", subject: "integration", validityDays: 90 };
  const pair: SigningKeyPair = await generateSigningKey(keyOptions);
  const jwk: PublicJwk = pair.jwk;
  const algorithm: JwtAlgorithm = jwk.alg;
  const curve: "P-256" | undefined = jwk.kty === "EC" ? jwk.crv : undefined;
  const modulus: string | undefined = jwk.kty === "RSA" ? jwk.n : undefined;
  const published: PublicSigningKey = await publicSigningKey(pair.privateKey, { keyId: "rotation-2" });
  const jwt: ConnectionSettings = {
    ...settings,
    grantType: "jwt_bearer",
    privateKey: pair.privateKey,
    jwtSubject: "svc.integration@example.com",
    jwtAlgorithm: algorithm,
    jwtKeyId: pair.keyId,
    jwtAudience: "token_endpoint",
  };
  const grantType: GrantType = "client_credentials";
  const tokens: TokenSet = await requestTokens({ ...settings, grantType }, options);
  const produced: GrantType | undefined = tokens.grantType;
  const renewed: TokenSet = await renewTokens(jwt, tokens, options);
  const fromNothing: TokenSet = await renewTokens({ ...settings, grantType: "password", username: "u", password: "p" }, null);
  const request: HttpRequestData = await grantRequest(jwt);
  const processed: TokenSet = processTokenResponse(jwt, "jwt_bearer", { status: 200, headers: {}, body: "{}" }, Date.now());
  const connection = new Connection(jwt, options);
  const prepared: TokenSet = await connection.requestTokens();
  const again: TokenSet = await connection.renewTokens(prepared);
  const byRefresh: boolean = connection.renewsByRefresh(prepared);
  const half: HttpRequestData = await connection.grantRequest();
  const config: NormalizedConfig = connection.config;
  let subject = "";
  if (config.authType === "oauth2") {
    const grant: NormalizedGrant = config;
    if (grant.grantType === "jwt_bearer") subject = grant.jwtSubject;
    else if (grant.grantType === "password") subject = grant.username;
  }
  const times: TokenTimes = { issuedAt: 1, expiresAt: 2, refreshExpiresAt: null, grantType: "jwt_bearer" };
  const summary: TokenSummary = tokenSummary(times);
  const summaryGrant: GrantType = summary.grantType;
  const stored: ValidateOptions = { storedSecrets: ["privateKey", "clientSecret"] };
  const error = {} as ConnectionError;
  const hint: string | undefined = error.hint;
  const newCodes: ErrorCode[] = [
    errorCodes.interactive_grant,
    errorCodes.client_credentials_disabled,
    errorCodes.application_user_missing,
    errorCodes.assertion_refused,
    errorCodes.unknown_subject,
    errorCodes.password_refused,
    errorCodes.signing_failed,
    fieldCodes.invalid_private_key,
    fieldCodes.key_algorithm_mismatch,
    fieldCodes.invalid_grant_type,
    fieldCodes.invalid_jwt_algorithm,
  ];
  // @ts-expect-error: only RS256 and ES256
  const hs256: JwtAlgorithm = "HS256";
  void [produced, renewed, fromNothing, request, processed, again, byRefresh, half, stored, validateConfig(jwt, stored), hs256];
  return [published.keyId, pair.certificate, curve ?? "", modulus ?? "", subject, summaryGrant, hint ?? "", ...newCodes];
}
