// One log line per API request that failed (status 400 or more) or took a second or longer: method,
// route template, connection id (when valid), status and time — never a URL, query, header or body.
// Successful requests are in the platform's own request logs; a line for each would cost more than
// the request on a busy connection.

const SLOW_REQUEST_MS = 1000;

export async function logRequest(c, next) {
  const started = Date.now();
  await next();
  const ms = Date.now() - started;
  const status = c.res.status;
  if (status < 400 && ms < SLOW_REQUEST_MS) return;
  console.log(JSON.stringify({
    event: c.get("event") ?? "api",
    method: c.req.method,
    route: c.get("route") ?? "(unknown)",
    connection: c.get("connectionId"),
    status,
    ms,
  }));
}
