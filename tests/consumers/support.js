// Shared set-up for the consumer tests: the tarball and the fixture projects (tarball.js), the
// stand-in, and this process's transcript for the leak check, to which the tests write what the
// consumers printed. The fixtures install only the package: their tools (wrangler, Miniflare, Vite,
// TypeScript) are the repository's own, pinned in its package.json and run from its node_modules,
// so no run downloads anything.

import path from "node:path";

import { REPO } from "./tarball.js";
import { record, recordSecret, startTranscript } from "../worker/support/transcript.js";

export { installFixture, packTarball, removeTemporary, REPO, run, runOk } from "./tarball.js";
export { startStandin } from "../servicenow-standin/index.js";
export { record, recordSecret };

/** The repository's own command-line tools. */
export const BIN = path.join(REPO, "node_modules/.bin");

startTranscript();
