// The login and consent steps of the authorization-code flow. The engine sends the browser to
// /oauth_interaction/<uid>; these handlers show the page the interaction needs (login when there
// is no signed-in user, then "Allow access"), check the seeded users' passwords, and hand the
// result back to the engine, which redirects to the client with `code` and `state`, or with
// error=access_denied when the user denies, cancels, or fails to log in three times.

import { timingSafeEqual } from "node:crypto";

import { ROUTES } from "./oauth.js";
import { consentPage, loginPage, messagePage } from "./pages.js";
import { BodyTooLarge, closeAfterAnswer, readBody, sendHibernating, sendHtml } from "./http_io.js";

const FORM_LIMIT = 16 * 1024;
const MAX_LOGIN_ATTEMPTS = 3;

function passwordMatches(expected, given) {
  const a = Buffer.from(String(expected ?? ""));
  const b = Buffer.from(String(given ?? ""));
  return a.length === b.length && timingSafeEqual(a, b);
}

export class InteractionPages {
  #failedLogins = new Map();

  constructor({ oauth, store, switches }) {
    this.oauth = oauth;
    this.provider = oauth.provider;
    this.store = store;
    this.switches = switches;
  }

  // Returns true when the path belongs to the interaction pages (and was answered).
  async handle(req, res, pathname) {
    const prefix = `${ROUTES.interaction}/`;
    if (!pathname.startsWith(prefix)) return false;
    if (this.switches.get("hibernating")) {
      sendHibernating(res);
      return true;
    }
    const [uid, step, ...rest] = pathname.slice(prefix.length).split("/");
    if (!uid || rest.length) {
      sendHtml(res, 404, messagePage("Not found", "There is no page at this address."));
      return true;
    }
    let interaction;
    try {
      interaction = await this.provider.interactionDetails(req, res);
    } catch {
      interaction = undefined;
    }
    if (!interaction || interaction.uid !== uid) {
      sendHtml(res, 400, messagePage("Login session expired",
        "This sign-in page is no longer valid. Go back to the application and start the connection again."));
      return true;
    }

    if (step === undefined && req.method === "GET") {
      await this.#show(res, interaction);
    } else if (req.method === "POST" && (step === "login" || step === "consent" || step === "abort")) {
      let form;
      try {
        form = new URLSearchParams((await readBody(req, FORM_LIMIT)).toString("utf8"));
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        closeAfterAnswer(res);
        sendHtml(res, 413, messagePage("Request too large", "The form submission is too large."));
        return true;
      }
      if (step === "login") await this.#login(req, res, interaction, form);
      else if (step === "consent") await this.#consent(req, res, interaction, form);
      else await this.#deny(req, res, "End-User aborted interaction");
    } else {
      sendHtml(res, 405, messagePage("Method not allowed", "This page does not accept that request."),
        { Allow: step === undefined ? "GET" : "POST" });
    }
    return true;
  }

  async #show(res, interaction, { errorMessage, userName, status = 200 } = {}) {
    const base = `${ROUTES.interaction}/${interaction.uid}`;
    const clientId = interaction.params.client_id;
    const clientName = await this.oauth.clientName(clientId);
    if (interaction.prompt.name === "login") {
      sendHtml(res, status, loginPage({
        action: `${base}/login`,
        cancelAction: `${base}/abort`,
        clientName,
        errorMessage,
        userName,
      }));
      return;
    }
    sendHtml(res, status, consentPage({
      action: `${base}/consent`,
      clientName,
      clientId,
      userName: interaction.session?.accountId ?? "",
      scope: interaction.params.scope ?? "",
    }));
  }

  async #login(req, res, interaction, form) {
    if (interaction.prompt.name !== "login") {
      await this.#show(res, interaction, { status: 400 });
      return;
    }
    const userName = form.get("user_name") ?? "";
    const user = this.store.user(userName);
    if (user && passwordMatches(user.password, form.get("user_password"))) {
      this.#failedLogins.delete(interaction.uid);
      await this.provider.interactionFinished(req, res, { login: { accountId: user.user_name } }, {
        mergeWithLastSubmission: false,
      });
      return;
    }
    const failures = (this.#failedLogins.get(interaction.uid) ?? 0) + 1;
    if (failures >= MAX_LOGIN_ATTEMPTS) {
      this.#failedLogins.delete(interaction.uid);
      await this.#deny(req, res, "too many failed login attempts");
      return;
    }
    this.#failedLogins.set(interaction.uid, failures);
    await this.#show(res, interaction, {
      status: 401,
      errorMessage: "User name or password invalid",
      userName: userName.slice(0, 100),
    });
  }

  async #consent(req, res, interaction, form) {
    if (interaction.prompt.name !== "consent") {
      await this.#show(res, interaction, { status: 400 });
      return;
    }
    if (form.get("decision") !== "allow") {
      await this.#deny(req, res, "the user denied access");
      return;
    }
    const { params, session, grantId, prompt } = interaction;
    const grant = (grantId && await this.provider.Grant.find(grantId))
      || new this.provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (params.scope) grant.addOIDCScope(params.scope);
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const savedGrantId = await grant.save();
    await this.provider.interactionFinished(req, res, { consent: { grantId: savedGrantId } }, {
      mergeWithLastSubmission: true,
    });
  }

  async #deny(req, res, description) {
    await this.provider.interactionFinished(req, res, {
      error: "access_denied",
      error_description: description,
    }, { mergeWithLastSubmission: false });
  }
}
