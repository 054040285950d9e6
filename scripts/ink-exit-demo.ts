// The program scripts/check-ink-compiled.ts compiles: a race drawn with showLive, left by the exit path named in
// argv[2]. `done`: the race is won; `ctrl-c`: it redraws until interrupted; `throw`: an uncaught error while drawing;
// `finally`: an error after a finally that calls done(), printed the way src/cli/main.ts prints it.
import type { RaceRow } from "../src/allocator/index.ts";
import { showLive } from "../src/cli/ui/live.ts";
import type { RaceState } from "../src/cli/ui/race-view.tsx";

const nowEpoch = Math.floor(Date.now() / 1000);
const pending: RaceRow = {
  rank: 1,
  strategyId: "a6000:1x4:2h59m",
  jobId: "812",
  state: "pending",
  startEpoch: nowEpoch + 180,
  reason: "Priority",
};
const racing: RaceState = { lease: "gpu1", nowEpoch, rows: [pending] };
const won: RaceState = { ...racing, rows: [{ ...pending, state: "won" }] };

const live = await showLive<RaceState>(async () => (await import("../src/cli/ui/race-view.tsx")).RaceView, {
  json: false,
  env: process.env,
});
live.update(racing);
const mode = process.argv[2];
if (mode === "done") {
  await new Promise((resolve) => setTimeout(resolve, 300));
  live.done(won);
} else if (mode === "ctrl-c") {
  setInterval(() => live.update({ ...racing, nowEpoch: Math.floor(Date.now() / 1000) }), 200);
} else if (mode === "throw") {
  throw new Error("boom while drawing");
} else if (mode === "caught") {
  try {
    throw new Error("boom while drawing");
  } catch (error) {
    process.stderr.write(`rv: error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
} else if (mode === "finally") {
  try {
    try {
      throw new Error("boom while drawing");
    } finally {
      live.done();
    }
  } catch (error) {
    process.stderr.write(`rv: error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
