// A forwarded answer is the instance's content served from the worker's origin, where the page and
// its admin token live. Whatever it is, a browser must not run it there: `X-Content-Type-Options:
// nosniff` (no guessing a type), `Content-Security-Policy: sandbox` (a unique origin without scripts,
// forms or plugins, should it be opened as a page), and for types a browser renders as active
// documents — HTML, XHTML, SVG, XML and anything without a declared type — `Content-Disposition:
// attachment`, so opening it downloads it instead.

const ACTIVE_TYPES = new Set([
  "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl",
  "application/xslt+xml", "multipart/x-mixed-replace",
]);

function isActive(contentType) {
  const media = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return media === "" || ACTIVE_TYPES.has(media) || media.endsWith("+xml");
}

/** Adds the headers that keep the answer inert (in place); `withContent`: the answer has content. */
export function makeInert(headers, withContent) {
  headers.set("x-content-type-options", "nosniff");
  headers.set("content-security-policy", "sandbox");
  if (withContent && isActive(headers.get("content-type"))) {
    // The instance's own file name, if it gave one, stays; only the disposition type changes.
    const given = headers.get("content-disposition");
    const params = given?.includes(";") ? given.slice(given.indexOf(";")) : "";
    headers.set("content-disposition", `attachment${params}`);
  }
}
