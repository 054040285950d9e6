import type { Remote } from "../remote/index.ts";

/**
 * What lease code that acts on Slurm needs from the place it runs in: rv's root there, Slurm through `remote`
 * (this machine's commands on a login node), who is asking and the clock.
 */
export interface LeaseEnv {
  root: string;
  remote: Remote;
  host: string;
  user: string;
  now: () => Date;
}
