// The clock of one forwarded request. A transfer may take long — 100 MB is not sent in 15 s — so the
// connection's time limit (`timeoutMs`) is not a deadline for the whole exchange but for each wait:
// no progress on the request body for that long, no first byte of the answer that long after the
// request was sent, no progress on the answer's body for that long. When a wait runs out, the
// request to the instance is aborted; before the answer has started that is a 502 `timeout`, after
// it the answer's body ends in an error (the caller sees a cut-off transfer, never a silent truncation).
// One timer per request, re-armed only when it fires: progress only records the time.

export class Transfer {
  #timeoutMs;
  #controller = new AbortController();
  #timer = null;
  #last = 0;
  #phase = "sending";
  #expired = null;
  #onExpired = [];

  constructor(timeoutMs) {
    this.#timeoutMs = timeoutMs;
    this.#arm(timeoutMs);
  }

  get signal() {
    return this.#controller.signal;
  }

  get timeoutMs() {
    return this.#timeoutMs;
  }

  /** The phase that ran out of time ("sending", "waiting", "receiving"), or null. */
  get expired() {
    return this.#expired;
  }

  /** Calls `listener(error)` when a wait runs out. */
  onExpired(listener) {
    this.#onExpired.push(listener);
  }

  /** Bytes moved: the current wait starts again. */
  progress() {
    this.#last = Date.now();
  }

  /** The request (and its body) is sent: the wait for the answer's first byte starts. */
  sent() {
    this.#phase = "waiting";
    this.progress();
  }

  /** The answer's head arrived: from now on, the wait is between chunks of its body. */
  answered() {
    this.#phase = "receiving";
    this.progress();
  }

  /** The exchange is over (done, failed or cancelled): no more timing. */
  finish() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Aborts the request to the instance (the caller went away, or the body was refused). */
  abort(reason) {
    this.finish();
    this.#controller.abort(reason);
  }

  #arm(ms) {
    this.#last = Date.now();
    this.#timer = setTimeout(() => this.#check(), ms);
  }

  #check() {
    const idle = Date.now() - this.#last;
    if (idle < this.#timeoutMs) {
      this.#timer = setTimeout(() => this.#check(), this.#timeoutMs - idle);
      return;
    }
    this.#expired = this.#phase;
    this.#timer = null;
    const error = new Error(`no progress for ${this.#timeoutMs} ms while ${this.#phase}`);
    this.#controller.abort(error);
    for (const listener of this.#onExpired) listener(error);
  }
}
