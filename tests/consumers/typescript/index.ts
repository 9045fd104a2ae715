// Every export of the package with the types a caller writes down; `tsc --strict --noEmit` must accept
// it as it is (the package's own .d.ts checked too), and the marked lines must stay errors.
import init, {
  Connection,
  Keyring,
  apiRequestUrl,
  authorizationHeader,
  authorizationRequest,
  basicAuthorization,
  codeExchangeRequest,
  exchangeCode,
  initSync,
  isHibernationPage,
  issuerMatches,
  parseCallback,
  processTestResponse,
  processTokenResponse,
  refreshRequest,
  refreshTokens,
  testConnection,
  testConnectionRequest,
  testResultFromError,
  tokenStatus,
  tokenSummary,
  validateConfig,
  type AuthorizationRequest,
  type CallbackResult,
  type ConnectionError,
  type ConnectionSettings,
  type FieldError,
  type HttpRequestData,
  type NormalizedConfig,
  type TestResult,
  type TokenSet,
  type TokenStatus,
  type TokenSummary,
  type ValidationResult,
} from "servicenow-connection";
import * as manual from "servicenow-connection/manual";

const settings: ConnectionSettings = {
  baseUrl: "https://dev12345.service-now.com/api/now/v2",
  authType: "oauth2",
  clientId: "client",
  clientSecret: "secret",
};

const validation: ValidationResult = validateConfig(settings);
const fieldErrors: FieldError[] = validation.errors;
const config: NormalizedConfig | undefined = validation.config;
const basic: string = basicAuthorization("user", "password");

const request: AuthorizationRequest = authorizationRequest(settings, { redirectUri: "https://app.example.com/callback" });
const callback: CallbackResult = parseCallback("?code=abc&state=xyz");
if (callback.kind === "code") {
  const grant = { code: callback.code, redirectUri: "https://app.example.com/callback", codeVerifier: request.codeVerifier };
  const exchange: HttpRequestData = codeExchangeRequest(settings, grant);
  const tokens: Promise<TokenSet> = exchangeCode(settings, grant);
  void exchange;
  void tokens;
}

declare const tokens: TokenSet;
const status: TokenStatus = tokenStatus(tokens, Date.now());
const summary: TokenSummary = tokenSummary(tokens, Date.now());
const refreshed: Promise<TokenSet> = refreshTokens(settings, tokens);
const refresh: HttpRequestData = refreshRequest(settings, tokens);
const processed: TokenSet = processTokenResponse(settings, "refresh_token", { transportError: "timeout" }, Date.now(), tokens);
const header: string = authorizationHeader(settings, tokens);
const apiUrl: string = apiRequestUrl(settings, "table/incident", "sysparm_limit=1");
const sameIssuer: boolean = issuerMatches(settings, "https://dev12345.service-now.com");

const tested: Promise<TestResult> = testConnection(settings);
const start = testConnectionRequest(settings);
const classified: TestResult = "request" in start
  ? processTestResponse(settings, { status: 200, headers: { "content-type": "application/json" }, body: "{}" }, Date.now())
  : start.result;
const hibernating: boolean = isHibernationPage({ status: 200, headers: { "content-type": "text/html" }, body: "" });

try {
  basicAuthorization("a:b", "c");
} catch (error) {
  const failure = error as ConnectionError;
  const fromError: TestResult = testResultFromError(failure);
  const code: string = failure.code;
  void fromError;
  void code;
}

{
  using connection = new Connection(settings);
  const connectionTest: Promise<TestResult> = connection.testConnection(null);
  void connectionTest;
}

const keyring = new Keyring("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", []);
const sealed: string = keyring.seal("connection:password", "secret");
const opened: string = keyring.unseal("connection:password", sealed);

const ready: Promise<unknown> = init();
initSync({ module: new Uint8Array() });
manual.initSync({ module: new WebAssembly.Module(new Uint8Array()) });

// @ts-expect-error: the authentication type is one of two names.
validateConfig({ baseUrl: "https://dev12345.service-now.com/api/now", authType: "ntlm" });

export const used = [fieldErrors, config, basic, status, summary, refreshed, refresh, processed, header, apiUrl,
  sameIssuer, tested, classified, hibernating, opened, ready];
