import { hostname } from "node:os";
import { rvHome } from "../fsqueue/index.ts";
import { type Io, processIo } from "./io.ts";

/** What every command needs from the outside world, built once in main.ts and faked in tests. */
export interface Context {
  root: string;
  env: NodeJS.ProcessEnv;
  io: Io;
  host: string;
  now: () => Date;
  json: boolean;
}

export function processContext(json: boolean): Context {
  return {
    root: rvHome(process.env),
    env: process.env,
    io: processIo(),
    host: hostname(),
    now: () => new Date(),
    json,
  };
}
