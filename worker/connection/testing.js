// Test Connection on a connection's stored settings: the core reads one row of sys_db_object and
// explains the answer (TestResult). For OAuth 2.0 the token is made usable first (refreshed when due)
// and, after a 401, refreshed once and the test sent again. A failure before anything could be sent
// (a refresh that failed, re-authorization required) is a TestResult too, classified by the core.

import { testResultFromError } from "../core.js";

export async function testStoredSettings(opened, keeper) {
  const loaded = await opened.load();
  const { settings, connection } = loaded;
  if (settings.authType !== "oauth2") return connection.testConnection(null);
  let tokens;
  try {
    tokens = await keeper.usable({ loaded });
  } catch (error) {
    return failedTestResult(error);
  }
  const result = await connection.testConnection(tokens);
  if (result.code !== "unauthorized") return result;
  try {
    tokens = await keeper.usable({ rejected: tokens.accessToken });
  } catch (error) {
    return failedTestResult(error);
  }
  return connection.testConnection(tokens);
}

/**
 * The Test Connection result for a failure met before the test could be sent. Anything that is not
 * the core's error is a bug, and is thrown on.
 */
function failedTestResult(error) {
  if (error?.name !== "ConnectionError" && error?.code !== "reauthorization_required") throw error;
  return testResultFromError(error);
}
