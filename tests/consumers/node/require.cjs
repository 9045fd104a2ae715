// CommonJS: Node 20.19 and later can require() an ES module without top-level await, which the Node
// entry is.
const { basicAuthorization, validateConfig } = require("servicenow-connection");

const { ok } = validateConfig({ baseUrl: "https://dev12345.service-now.com/api/now/v2", authType: "basic" });
console.log(`valid: ${ok}`);
console.log(basicAuthorization("integration.user", "correct horse"));
