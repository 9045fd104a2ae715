// The paths an access key may reach. A key's path prefixes are written relative to `/api/now/`
// (`table/incident`, `attachment`), or as `api/<namespace>/…` for the instance's other REST APIs
// (`api/sn_sc/servicecatalog`). A request's path is compared in whole percent-decoded segments, after
// `/api/`, with a version segment (`v1`, `v2`, …) right after the namespace removed — so `table/incident`
// matches `/api/now/v2/table/incident/<sys_id>` but not `table/incident_task`, and the same request
// sent through either forwarding route (`…/now/table/incident` or `…/api/now/table/incident`) meets the
// same scope.

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;
const VERSION = /^v[0-9]+$/;
const MAX_PREFIXES = 50;
const MAX_PREFIX_LENGTH = 200;

function withoutVersion(segments) {
  return segments.length > 1 && VERSION.test(segments[1]) ? [segments[0], ...segments.slice(2)] : segments;
}

/**
 * The canonical segments of a forwarded request: `route` is `now` or `api`, `path` the raw path after
 * it. Null when a segment does not decode (the core refuses such paths anyway).
 */
export function requestSegments(route, path) {
  const raw = path === "" ? [] : path.split("/");
  const decoded = [];
  for (const segment of raw) {
    try {
      decoded.push(decodeURIComponent(segment));
    } catch {
      return null;
    }
  }
  return withoutVersion(route === "now" ? ["now", ...decoded] : decoded);
}

/** The canonical segments of a prefix as given (already checked by `checkPaths`). */
export function prefixSegments(prefix) {
  const segments = prefix.split("/");
  return segments[0] === "api" ? withoutVersion(segments.slice(1)) : ["now", ...segments];
}

/** Whether `segments` (a request's) start with one of the prefixes, segment by segment. */
export function pathAllowed(prefixes, segments) {
  if (segments === null) return false;
  return prefixes.some((prefix) => {
    const wanted = prefixSegments(prefix);
    return wanted.length <= segments.length && wanted.every((segment, i) => segments[i] === segment);
  });
}

/**
 * Field errors of a `paths` member: an array of 1 to 50 prefixes, each made of non-empty segments of
 * letters, digits and `_ . ~ -` (no `.` or `..` segment), without a leading or trailing slash, and not
 * starting with a version segment (versions are not part of a scope).
 */
export function checkPaths(paths) {
  const problem = (message) => [{ field: "paths", code: "invalid_paths", message }];
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_PREFIXES) {
    return problem(`paths must be a list of 1 to ${MAX_PREFIXES} API path prefixes, such as "table/incident", or null for every path.`);
  }
  for (const prefix of paths) {
    if (typeof prefix !== "string" || prefix.length === 0 || prefix.length > MAX_PREFIX_LENGTH) {
      return problem(`Each path prefix must be a string of 1 to ${MAX_PREFIX_LENGTH} characters.`);
    }
    const segments = prefix.split("/");
    if (segments.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) {
      return problem(`"${prefix}" is not a path prefix: use segments of letters, digits, "_", ".", "~" and "-" separated by "/", such as "table/incident".`);
    }
    const first = segments[0] === "api" ? segments[1] : segments[0];
    if (segments[0] === "api" && segments.length < 2) {
      return problem(`"${prefix}" names no namespace: write "api/<namespace>/…", such as "api/sn_sc/servicecatalog".`);
    }
    if (VERSION.test(first)) {
      return problem(`"${prefix}" starts with a version; scopes apply to every version, so leave it out.`);
    }
  }
  if (new Set(paths).size !== paths.length) return problem("Each path prefix may be given once.");
  return [];
}
