// The worker's own origin for the rest of the request (`c.get("publicOrigin")`): PUBLIC_URL, or 503
// `public_url_not_configured` / `public_url_invalid` (environment.js says when a local run may do
// without). Checked before anything that needs to know what "own" means: the origin check, the
// callback URL, the paging links of forwarded answers.

import { publicOrigin } from "../environment.js";

export async function requirePublicOrigin(c, next) {
  c.set("publicOrigin", publicOrigin(c.env, c.req.raw));
  await next();
}
