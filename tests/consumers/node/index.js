import { testConnection, validateConfig } from "servicenow-connection";

const settings = {
  baseUrl: process.env.SERVICENOW_BASE_URL, // for example https://dev12345.service-now.com/api/now/v2
  authType: "basic",
  username: process.env.SERVICENOW_USER,
  password: process.env.SERVICENOW_PASSWORD,
  // Lets a local stand-in on http://127.0.0.1 through; every other host must use https.
  allowInsecureLoopback: true,
};

const { ok, errors } = validateConfig(settings);
if (!ok) {
  for (const error of errors) console.error(`${error.field} (${error.code}): ${error.message}`);
  process.exit(2);
}

const result = await testConnection(settings);
console.log(`${result.code}: ${result.message}`);
if (result.hint) console.log(`hint: ${result.hint}`);
process.exitCode = result.ok ? 0 : 1;
