import { authorizationRequest, validateConfig } from "servicenow-connection";

// The callback registered in ServiceNow: the server that exchanges the code for tokens, which needs
// the client secret, so it is done there and not in the page.
const REDIRECT_URI = "https://connections.example.com/oauth2/callback";

const form = document.querySelector("form");
const errorList = document.querySelector("#errors");
const output = document.querySelector("#authorization-url");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = form.elements;
  const settings = {
    baseUrl: fields.baseUrl.value,
    authType: "oauth2",
    clientId: fields.clientId.value,
    clientSecret: fields.clientSecret.value,
  };
  const { ok, errors } = validateConfig(settings);
  errorList.replaceChildren(
    ...errors.map((error) => Object.assign(document.createElement("li"), { textContent: `${error.field}: ${error.message}` })),
  );
  if (!ok) return;
  // The callback checks `state` and sends `codeVerifier` with the code.
  const { url, state, codeVerifier } = authorizationRequest(settings, { redirectUri: REDIRECT_URI });
  sessionStorage.setItem("servicenow-authorization", JSON.stringify({ state, codeVerifier }));
  output.value = url;
});
