// The connection's last test: when Test Connection last ran on the stored settings, and what it
// found (`{at, ok, code, status?}`, the TestResult's classification without its message, so nothing
// the instance said is kept). Tests of settings as typed in a form do not count: they describe
// settings nobody saved. The listing shows it next to each connection (publication.js).

import { RECORD } from "./store.js";

/** The record of `result` (a TestResult) at `at` (ms since epoch). */
export function lastTestOf(result, at = Date.now()) {
  const record = { at, ok: result.ok === true, code: result.code };
  if (Number.isInteger(result.status)) record.status = result.status;
  return record;
}

/** Stores the last test; one record, written alone. */
export async function recordLastTest(store, result) {
  await store.commit({ put: { [RECORD.LAST_TEST]: lastTestOf(result) } });
}
