import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * Node states, read from every form Slurm prints: sinfo `%t` (`idle`, `mix-`, `drain*`, `plnd`, `resv`,
 * `inval`, `comp`, `idle~`, ...), sinfo `%T` (`MIXED`, `DRAINED*`, `PLANNED`, ...), and scontrol's complete
 * form (`IDLE+PLANNED`, `MIXED+DRAIN`, `IDLE+CLOUD+POWERED_DOWN`, `DOWN+NOT_RESPONDING`).
 *
 * The result is Slurm's own model: one base state plus flags. Where the short word hides the base
 * (`drain` is an idle-or-down node with the drain flag), the usual base is taken (`idle`), and the flag says
 * what matters. A word rv does not know gives base "other"; unknown flag names are kept in `unknown`.
 */
export const NodeBaseSchema = z.enum(["idle", "mixed", "allocated", "down", "error", "future", "unknown", "other"]);
export type NodeBase = z.infer<typeof NodeBaseSchema>;

export const NodeFlagSchema = z.enum([
  "drain",
  "completing",
  "not_responding",
  "powered_down",
  "powering_up",
  "powering_down",
  "power_down",
  "power_up",
  "fail",
  "maintenance",
  "reboot_requested",
  "reboot_issued",
  "reserved",
  "planned",
  "invalid_reg",
  "cloud",
  "perfctrs",
  "resume",
  "dynamic_future",
  "dynamic_norm",
]);
export type NodeFlag = z.infer<typeof NodeFlagSchema>;

export const NodeStateSchema = deferred(() =>
  z.object({
    base: NodeBaseSchema,
    flags: z.array(NodeFlagSchema),
    unknown: z.array(z.string()),
    raw: z.string(),
  }),
);
export type NodeState = z.infer<typeof NodeStateSchema>;

type Word = [NodeBase, ...NodeFlag[]];
const words: Record<string, Word> = {
  IDLE: ["idle"],
  MIXED: ["mixed"],
  MIX: ["mixed"],
  ALLOCATED: ["allocated"],
  ALLOC: ["allocated"],
  DOWN: ["down"],
  ERROR: ["error"],
  FUTURE: ["future"],
  FUTR: ["future"],
  UNKNOWN: ["unknown"],
  UNK: ["unknown"],
  DRAINED: ["idle", "drain"],
  DRAIN: ["idle", "drain"],
  DRAINING: ["allocated", "drain"],
  DRNG: ["allocated", "drain"],
  COMPLETING: ["idle", "completing"],
  COMP: ["idle", "completing"],
  FAIL: ["idle", "fail"],
  FAILING: ["allocated", "fail"],
  FAILG: ["allocated", "fail"],
  MAINT: ["idle", "maintenance"],
  REBOOT: ["idle", "reboot_requested"],
  BOOT: ["idle", "reboot_requested"],
  REBOOT_ISSUED: ["idle", "reboot_issued"],
  INVAL: ["unknown", "invalid_reg"],
  RESERVED: ["idle", "reserved"],
  RESV: ["idle", "reserved"],
  PLANNED: ["idle", "planned"],
  PLND: ["idle", "planned"],
  PERFCTRS: ["idle", "perfctrs"],
  NPC: ["idle", "perfctrs"],
  CLOUD: ["unknown", "cloud"],
  POWER_DOWN: ["unknown", "power_down"],
  POW_DN: ["unknown", "power_down"],
  POWER_UP: ["unknown", "power_up"],
  POW_UP: ["unknown", "power_up"],
  POWERING_DOWN: ["unknown", "powering_down"],
  POWRING_DN: ["unknown", "powering_down"],
  POWERED_DOWN: ["unknown", "powered_down"],
  POWERED_DN: ["unknown", "powered_down"],
  POWERING_UP: ["unknown", "powering_up"],
  RESUME: ["unknown", "resume"],
  RESM: ["unknown", "resume"],
};

/** Suffix characters sinfo appends; `+` alone (`ALLOC+`) means completing. */
const suffixes: Record<string, NodeFlag> = {
  "*": "not_responding",
  "~": "powered_down",
  "#": "powering_up",
  "%": "powering_down",
  "!": "power_down",
  $: "maintenance",
  "@": "reboot_requested",
  "^": "reboot_issued",
  "-": "planned",
  "+": "completing",
};

/** Flag names of scontrol's complete form where they differ from rv's. */
const flagNames: Record<string, NodeFlag> = {
  NOT_RESPONDING: "not_responding",
  MAINTENANCE: "maintenance",
  INVALID_REG: "invalid_reg",
};

export function parseNodeState(text: string): NodeState {
  const raw = text.trim();
  const [head = "", ...more] = raw.toUpperCase().split(/\+(?=.)/);
  const m = /^([A-Z_]+)([*~#%!$@^+-]*)$/.exec(head);
  const word = m ? words[m[1] ?? ""] : undefined;
  const flags = new Set<NodeFlag>(word?.slice(1) as NodeFlag[] | undefined);
  for (const c of m?.[2] ?? "") {
    const flag = suffixes[c];
    if (flag) flags.add(flag);
  }
  const unknown: string[] = word ? [] : [head];
  for (const name of more) {
    const flag = flagNames[name] ?? NodeFlagSchema.safeParse(name.toLowerCase()).data;
    if (flag) flags.add(flag);
    else unknown.push(name);
  }
  return { base: word?.[0] ?? "other", flags: [...flags], unknown, raw };
}

/**
 * Can the node be given a new job (resources permitting)? Not when down, drained or draining, failing,
 * not responding, about to power down, rebooting, in maintenance, or badly registered. A powered-down
 * (`~`) or powering-up (`#`) node can: the job waits for the boot. `planned` and `reserved` nodes are up but
 * held (for a pending job, a reservation): only a job that fits the hole or the reservation gets them.
 */
export function nodeAcceptsJobs(state: NodeState): boolean {
  if (!["idle", "mixed", "allocated"].includes(state.base)) return false;
  const blocking: NodeFlag[] = [
    "drain",
    "fail",
    "not_responding",
    "powering_down",
    "power_down",
    "maintenance",
    "reboot_requested",
    "reboot_issued",
    "invalid_reg",
  ];
  return !state.flags.some((flag) => blocking.includes(flag)) && state.unknown.length === 0;
}
