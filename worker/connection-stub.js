// The Durable Object of a connection, by id. The object id is derived from the name once per isolate
// and id (deriving hashes the name), so a busy connection does not pay for it on every request.

const MAX_CACHED_IDS = 1000;
const objectIds = new Map();

export function connectionStub(env, id) {
  let objectId = objectIds.get(id);
  if (objectId === undefined) {
    if (objectIds.size >= MAX_CACHED_IDS) objectIds.clear();
    objectId = env.CONNECTIONS.idFromName(id);
    objectIds.set(id, objectId);
  }
  return env.CONNECTIONS.get(objectId);
}
