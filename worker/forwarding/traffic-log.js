// Hands forwarded requests' traffic records to their connection's object in batches. A record is
// made once an answer has been passed on (or cut off, or refused); records of one connection made
// within a moment of each other in this isolate go over in one call, so a busy connection costs one
// call to its object per moment, not one per request. Each request that adds a record keeps the
// runtime waiting (waitUntil) until its batch has been handed over; a batch is lost only if the
// isolate itself goes in that moment.

const BATCH_MS = 200;
const BATCH_SIZE = 50;

const batches = new Map();

/**
 * Adds `entry` to the batch of connection `id`; `send(entries)` hands a batch over, in the context of
 * whichever request completes the batch (its timer's or the one that fills it), so it must reach the
 * object from there. Returns the promise of the batch's hand-over.
 */
export function queueTraffic(id, entry, send) {
  let batch = batches.get(id);
  if (!batch) {
    batch = { entries: [] };
    batch.done = new Promise((resolve) => {
      batch.flush = () => {
        // Once: a timer of one request cannot always be cleared from another's context.
        if (batch.sent) return;
        batch.sent = true;
        clearTimeout(batch.timer);
        if (batches.get(id) === batch) batches.delete(id);
        resolve(send(batch.entries).catch((error) => {
          console.error(JSON.stringify({ event: "audit_handover_failed", connection: id, records: batch.entries.length, name: error?.name }));
        }));
      };
    });
    batch.timer = setTimeout(batch.flush, BATCH_MS);
    batches.set(id, batch);
  }
  batch.entries.push(entry);
  if (batch.entries.length >= BATCH_SIZE) batch.flush();
  return batch.done;
}
