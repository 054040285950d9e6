import { existsSync } from "node:fs";
import { unlinkIfPresent } from "./finish.ts";
import { listEntries } from "./layout.ts";
import { controlFile, type LeasePaths } from "./paths.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { type Control, ControlSchema, type ControlVerb, PROTOCOL_VERSION } from "./schema.ts";

/** Clients never touch a runner's files: they leave a request in `control/` and the runner acts on it. */
export function requestControl(p: LeasePaths, target: string, verb: ControlVerb, by: string, now: Date): void {
  const record: Control = { v: PROTOCOL_VERSION, verb, target, requestedAt: now.toISOString(), requestedBy: by };
  writeRecordAtomic(p.tmp, controlFile(p, target, verb), record);
}

export function hasControl(p: LeasePaths, target: string, verb: ControlVerb): boolean {
  return existsSync(controlFile(p, target, verb));
}

/** The request itself, when it is there and valid. */
export function readControl(p: LeasePaths, target: string, verb: ControlVerb): Control | undefined {
  const parsed = tryReadRecord(controlFile(p, target, verb), ControlSchema);
  return parsed?.ok ? parsed.value : undefined;
}

export function listControls(p: LeasePaths): Control[] {
  const controls: Control[] = [];
  for (const name of listEntries(p.control)) {
    const parsed = tryReadRecord(`${p.control}/${name}`, ControlSchema);
    if (parsed?.ok) controls.push(parsed.value);
  }
  return controls;
}

export function clearControl(p: LeasePaths, target: string, verb: ControlVerb): void {
  unlinkIfPresent(controlFile(p, target, verb));
}
