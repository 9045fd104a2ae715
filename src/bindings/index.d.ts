export * from "./servicenow_connection_core.js";
export { default } from "./servicenow_connection_core.js";
import type {
  AuthorizationOptions, AuthorizationRequest, CodeGrant, ConnectionSettings, HttpRequestData, HttpResponseData,
  TestConnectionStart, TestResult, TokenSet,
} from "./servicenow_connection_core.js";
import { Connection as CoreConnection } from "./servicenow_connection_core.js";

/** Validated settings, for any number of operations. The constructor throws an `invalid_config` `ConnectionError`. */
export class Connection extends CoreConnection {
  /** Exchanges an authorization code for tokens at the token endpoint. Rejects with a `ConnectionError`. */
  exchangeCode(grant: CodeGrant): Promise<TokenSet>;
  /** Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued. Rejects with a `ConnectionError`. */
  refreshTokens(tokens: TokenSet): Promise<TokenSet>;
  /** Test Connection: reads one row of sys_db_object and classifies the answer. Never rejects. */
  testConnection(tokens?: TokenSet | null): Promise<TestResult>;
  [Symbol.dispose](): void;
}

export function authorizationRequest(settings: ConnectionSettings, options: AuthorizationOptions): AuthorizationRequest;
export function codeExchangeRequest(settings: ConnectionSettings, grant: CodeGrant): HttpRequestData;
export function refreshRequest(settings: ConnectionSettings, tokens: TokenSet): HttpRequestData;
export function processTokenResponse(
  settings: ConnectionSettings, grant: "authorization_code" | "refresh_token", response: HttpResponseData,
  requestedAt: number, previous?: TokenSet | null,
): TokenSet;
export function authorizationHeader(settings: ConnectionSettings, tokens?: TokenSet | null): string;
export function apiRequestUrl(settings: ConnectionSettings, path: string, query?: string): string;
export function issuerMatches(settings: ConnectionSettings, issuer: string): boolean;
/** Exchanges an authorization code for tokens at the token endpoint. Rejects with a `ConnectionError`. */
export function exchangeCode(settings: ConnectionSettings, grant: CodeGrant): Promise<TokenSet>;
/** Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued. Rejects with a `ConnectionError`. */
export function refreshTokens(settings: ConnectionSettings, tokens: TokenSet): Promise<TokenSet>;
/** Test Connection: reads one row of sys_db_object and classifies the answer. Never rejects. */
export function testConnection(settings: ConnectionSettings, tokens?: TokenSet | null): Promise<TestResult>;
export function testConnectionRequest(settings: ConnectionSettings, tokens?: TokenSet | null): TestConnectionStart;
export function processTestResponse(settings: ConnectionSettings, response: HttpResponseData, startedAt: number): TestResult;
