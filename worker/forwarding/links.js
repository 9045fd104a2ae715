// The instance's `Link` header (RFC 8288 §3) as the caller gets it. The Table API pages with links to
// the first, previous, next and last page on the instance; passed on as they are, they would send a
// client around the gateway, to a host it has no credentials for. Each link whose target is on the
// instance, under /api/, becomes the same request through the gateway — `<instance>/api/now/<rest>`
// becomes `<worker>/api/connections/<id>/now/<rest>`, another namespace `<worker>/api/connections/<id>/api/<rest>`
// — with its query and parameters unchanged. Links to other hosts or outside /api/ are dropped, and so
// is a header that does not parse: a link that cannot be read safely is not passed on. Targets are
// resolved and compared with the platform's URL parser (WHATWG), the one `fetch` itself uses.

/**
 * Splits a Link field value into `{target, params}` (params as the raw text after `>`), or null when
 * it is not a list of `<target>; params` values.
 */
function linkValues(field) {
  const values = [];
  let i = 0;
  while (i < field.length) {
    while (i < field.length && (field[i] === " " || field[i] === "\t" || field[i] === ",")) i += 1;
    if (i >= field.length) break;
    if (field[i] !== "<") return null;
    const end = field.indexOf(">", i);
    if (end === -1) return null;
    const target = field.slice(i + 1, end);
    const start = end + 1;
    let quoted = false;
    for (i = start; i < field.length; i += 1) {
      const ch = field[i];
      if (quoted) {
        if (ch === "\\") i += 1;
        else if (ch === '"') quoted = false;
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === ",") {
        break;
      }
    }
    if (quoted) return null;
    values.push({ target, params: field.slice(start, i).trim() });
  }
  return values;
}

/**
 * The Link field with targets rewritten, or null when no link remains. `requestUrl`: the URL the
 * answer came from (relative targets resolve against it); `instanceOrigin`: the instance's origin;
 * `gateway`: `<worker origin>/api/connections/<id>`.
 */
export function rewriteLinks(field, { requestUrl, instanceOrigin, gateway }) {
  const values = linkValues(field);
  if (values === null) return null;
  const kept = [];
  for (const { target, params } of values) {
    let url;
    try {
      url = new URL(target, requestUrl);
    } catch {
      continue;
    }
    if (url.origin !== instanceOrigin || url.username !== "" || url.password !== "") continue;
    if (!url.pathname.startsWith("/api/")) continue;
    const rest = url.pathname.slice("/api/".length);
    const through = rest.startsWith("now/") ? `${gateway}/${rest}` : `${gateway}/api/${rest}`;
    kept.push(`<${through}${url.search}>${params ? `; ${params.replace(/^;\s*/, "")}` : ""}`);
  }
  return kept.length > 0 ? kept.join(", ") : null;
}
