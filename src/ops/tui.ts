import { defineOp } from "./op.ts";
import { readTuiSnapshot } from "./tui-read.ts";
import { TuiAskSchema, TuiSnapshotSchema } from "./tui-snapshot.ts";

/** One refresh of `rv tui` for the leases of a place: everything it shows, in one call (one round trip). */
export const tuiOp = defineOp({
  name: "tui",
  input: TuiAskSchema,
  result: TuiSnapshotSchema,
  run: readTuiSnapshot,
});
