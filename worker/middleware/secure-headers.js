// Response headers that keep the worker's own answers (the API's and the callback page) inert in a
// browser: Hono's secureHeaders, with a Content-Security-Policy that lets an API answer opened as a
// page do nothing (`default-src 'none'; sandbox`), and without a Cross-Origin-Opener-Policy: the
// callback page is the window the page opened for Generate, and the default `same-origin` would cut
// it off from its opener, so its result could not be posted back. Headers a handler set itself (the
// callback page's nonce policy, a forwarded answer's own) are kept.

import { secureHeaders } from "hono/secure-headers";

export const apiSecureHeaders = secureHeaders({
  crossOriginOpenerPolicy: false,
  xFrameOptions: "DENY",
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], sandbox: [] },
  overwrite: false,
});
