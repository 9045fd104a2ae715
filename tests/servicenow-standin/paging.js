// Paging of list answers the way the Table API does it: sysparm_limit / sysparm_offset select the
// page, X-Total-Count says how many records matched, and a Link header carries ready-made URLs on
// the instance for rel="first", "prev", "next" and "last". Each link repeats the request's other
// query parameters as they were sent and ends with sysparm_offset and sysparm_limit. "prev" is
// left out on the first page and "next" on the last; a result that fits on one page gets no Link
// header at all, and sysparm_suppress_pagination_header=true removes it.
// Sources: ServiceNow "Table API" REST reference (Link and X-Total-Count response headers,
// sysparm_suppress_pagination_header); an instance's answer quoted in
// the GitHub project ServiceNowITOM/ansible-sn-inventory issue 15 (format `<url>;rel="first",<url>;rel="next"`,
// which rels appear, no header for a single page).

const PAGING_PARAMETERS = new Set(["sysparm_offset", "sysparm_limit"]);

export class PagingError extends Error {
  constructor(parameter) {
    super(`${parameter} must be a non-negative integer`);
    this.name = "PagingError";
    this.parameter = parameter;
  }
}

function nonNegativeInteger(value) {
  return /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

/** Reads sysparm_limit and sysparm_offset; throws PagingError naming the bad one. */
export function readPaging(searchParams, defaultLimit) {
  const limit = searchParams.has("sysparm_limit") ? nonNegativeInteger(searchParams.get("sysparm_limit")) : defaultLimit;
  if (limit === undefined) throw new PagingError("sysparm_limit");
  const offset = searchParams.has("sysparm_offset") ? nonNegativeInteger(searchParams.get("sysparm_offset")) : 0;
  if (offset === undefined) throw new PagingError("sysparm_offset");
  return { limit, offset };
}

// The request's query without the paging parameters, each pair kept exactly as it was sent.
function otherParameters(rawQuery) {
  const kept = [];
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const rawName = pair.split("=", 1)[0];
    let name;
    try {
      name = decodeURIComponent(rawName.replaceAll("+", " "));
    } catch {
      name = rawName;
    }
    if (!PAGING_PARAMETERS.has(name)) kept.push(pair);
  }
  return kept;
}

/**
 * The Link header value for one page of a list answer, or undefined when there is none.
 * @param {{ origin: string, pathname: string, rawQuery: string, offset: number, limit: number, total: number }} page
 */
export function pageLinks({ origin, pathname, rawQuery, offset, limit, total }) {
  const query = rawQuery.startsWith("?") ? rawQuery.slice(1) : rawQuery;
  if (new URLSearchParams(query).get("sysparm_suppress_pagination_header") === "true") return undefined;
  if (limit === 0 || total === 0) return undefined;
  const onePage = offset === 0 && total <= limit;
  if (onePage) return undefined;

  const kept = otherParameters(query);
  const url = (at) => `${origin}${pathname}?${[...kept, `sysparm_offset=${at}`, `sysparm_limit=${limit}`].join("&")}`;
  // The last page is the last one reached by following "next" from this offset, so a client that
  // started at an odd offset lands on "last" exactly.
  const last = offset >= total ? offset : offset + Math.floor((total - offset - 1) / limit) * limit;
  const links = [`<${url(0)}>;rel="first"`];
  if (offset > 0) links.push(`<${url(Math.max(0, offset - limit))}>;rel="prev"`);
  if (offset + limit < total) links.push(`<${url(offset + limit)}>;rel="next"`);
  links.push(`<${url(last)}>;rel="last"`);
  return links.join(",");
}

/** The headers of one page: X-Total-Count always, Link when there is more than one page. */
export function pageHeaders(page) {
  const headers = { "X-Total-Count": String(page.total) };
  const link = pageLinks(page);
  if (link) headers.Link = link;
  return headers;
}
