export * from "./servicenow_connection_core.js";
export { default } from "./servicenow_connection_core.js";
import type { CodeGrant, ConnectionSettings, TestResult, TokenSet } from "./servicenow_connection_core.js";

/** Exchanges an authorization code for tokens at the token endpoint. Rejects with a `ConnectionError`. */
export function exchangeCode(settings: ConnectionSettings, grant: CodeGrant): Promise<TokenSet>;

/** Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued. Rejects with a `ConnectionError`. */
export function refreshTokens(settings: ConnectionSettings, tokens: TokenSet): Promise<TokenSet>;

/** Test Connection: reads one row of sys_db_object and classifies the answer. Never rejects. */
export function testConnection(settings: ConnectionSettings, tokens?: TokenSet | null): Promise<TestResult>;
