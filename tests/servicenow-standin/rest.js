// The REST surface of the stand-in: every request under /api/ goes through the same steps an
// instance takes before any API sees it, then to the API whose path it matches (Table API,
// Attachment API, Service Catalog, Change Management, a scoped Scripted REST API). The steps, in
// order: hibernation page, rate limit, injected fault, unknown path or API version (404), Accept
// header (400 when missing, 406 when it excludes JSON), authentication (401). Each call is counted
// under its route template ("GET /api/now/table/{table}") or "METHOD (unknown)".
// Sources: ServiceNow "REST API" reference (REST API HTTP response codes, supported headers,
// versioned and default URLs), "Inbound REST API rate limiting".

import { AttachmentApi } from "./attachment_api.js";
import { CatalogApi } from "./catalog_api.js";
import { ChangeApi } from "./change_api.js";
import { applyFault, sendHibernating, sendServiceNowError } from "./http_io.js";
import { RestAuthenticator } from "./rest_auth.js";
import { EchoApi } from "./scripted_api.js";
import { TableApi } from "./table_api.js";

const NOT_A_RESOURCE = "Requested URI does not represent any resource";
const NOT_AUTHENTICATED = ["User Not Authenticated", "Required to provide Auth information"];

function acceptsJson(accept) {
  return accept.split(",").some((part) => {
    const type = part.split(";")[0].trim().toLowerCase();
    return type === "application/json" || type === "application/*" || type === "*/*";
  });
}

export class RestApi {
  constructor({ origin, oauth, store, switches, counters, timers }) {
    this.origin = origin;
    this.switches = switches;
    this.counters = counters;
    this.timers = timers;
    this.auth = new RestAuthenticator({ oauth, store, switches });
    this.apis = [
      new TableApi({ store, switches }),
      new AttachmentApi({ store, switches }),
      new CatalogApi({ store }),
      new ChangeApi({ store, switches }),
      new EchoApi(),
    ];
  }

  #match(pathname) {
    for (const api of this.apis) {
      const route = api.match(pathname);
      if (route) return { api, ...route };
    }
    return undefined;
  }

  async handle(req, res, url) {
    const route = this.#match(url.pathname);
    const label = route ? `${req.method} ${route.template}` : `${req.method} (unknown)`;
    res.once("close", () => {
      this.counters.apiCall(label, res.writableFinished ? res.statusCode : "dropped");
    });

    if (this.switches.get("hibernating")) {
      sendHibernating(res);
      return;
    }
    const rate = this.switches.checkRate();
    if (rate) {
      for (const [name, value] of Object.entries(rate.headers)) res.setHeader(name, value);
      if (rate.limited) {
        sendServiceNowError(res, 429, "Rate limit exceeded",
          `Too many requests. Retry after ${rate.headers["Retry-After"]} seconds.`);
        return;
      }
    }
    const fault = this.switches.takeFault("apiFault");
    if (fault && await applyFault(res, fault, this.timers, "api")) return;

    if (!route || (route.version && !route.api.versions().includes(route.version))) {
      sendServiceNowError(res, 404, NOT_A_RESOURCE, null);
      return;
    }
    if (!route.answersAnyType) {
      const accept = req.headers.accept;
      if (accept === undefined || accept.trim() === "") {
        sendServiceNowError(res, 400, "Accept header is missing", "Send Accept: application/json");
        return;
      }
      if (!acceptsJson(accept)) {
        sendServiceNowError(res, 406, "Requested response format is not supported", `Accept: ${accept.slice(0, 100)}`);
        return;
      }
    }
    const user = await this.auth.user(req);
    if (!user) {
      const challenge = this.switches.get("basicDisabled") ? {} : { "WWW-Authenticate": 'Basic realm="Service-now"' };
      sendServiceNowError(res, 401, ...NOT_AUTHENTICATED, challenge);
      return;
    }
    await route.api.handle({ req, res, url, route, user, origin: this.origin });
  }
}
