import { testConnection } from "servicenow-connection";

// Answers every request with the Test Connection result for the settings in the worker's
// variables, and the password from its secrets.
export default {
  async fetch(request, env) {
    const result = await testConnection({
      baseUrl: env.SERVICENOW_BASE_URL,
      authType: "basic",
      username: env.SERVICENOW_USER,
      password: env.SERVICENOW_PASSWORD,
      allowInsecureLoopback: env.ALLOW_INSECURE_LOOPBACK === "true", // a local stand-in only
    });
    return Response.json(result, { status: result.ok ? 200 : 502 });
  },
};
