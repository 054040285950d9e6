import { listRecordKeys } from "./layout.ts";
import { heartbeatFile, type LeasePaths, recordFile } from "./paths.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { type Heartbeat, HeartbeatSchema } from "./schema.ts";

export function writeHeartbeat(p: LeasePaths, hb: Heartbeat): void {
  writeRecordAtomic(p.tmp, heartbeatFile(p, hb.runner), hb);
}

export function readHeartbeats(p: LeasePaths): Heartbeat[] {
  const beats: Heartbeat[] = [];
  for (const runner of listRecordKeys(p.hb)) {
    const parsed = tryReadRecord(recordFile(p.hb, runner), HeartbeatSchema);
    if (parsed?.ok) beats.push(parsed.value);
  }
  return beats;
}
