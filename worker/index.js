// The edge worker's entry: the HTTP API (app.js, on Hono) and the two Durable Object classes it
// uses — one ConnectionObject per connection (connection/object.js) and the ConnectionRegistry that
// lists them (registry.js). The API and its storage are described in docs/worker.md.

import { app } from "./app.js";

export { ConnectionObject } from "./connection/object.js";
export { ConnectionRegistry } from "./registry.js";

export default app;
