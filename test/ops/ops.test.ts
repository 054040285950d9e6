import type { Command } from "commander";
import { describe, expect, test } from "vitest";
import { buildProgram } from "../../src/cli/program.ts";
import { loadConfig } from "../../src/config/index.ts";
import {
  cancelOp,
  candidatesOp,
  defineOp,
  leaseListOp,
  leaseReleaseOp,
  leaseShowOp,
  localPlace,
  logsOp,
  ops,
  requeueOp,
  runOp,
  statsOp,
  statusOp,
  submitOp,
  tasksOp,
  tuiOp,
  waitOp,
} from "../../src/ops/index.ts";
import { z } from "../../src/zod.ts";
import { useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

/**
 * The ops each command of the CLI calls, in-process for this machine's leases or through `rv rpc` for a cluster's.
 * A command that calls none says why. The test below holds it to the program and to the registry both ways.
 */
const VERB_OPS: Record<string, readonly string[] | { none: string }> = {
  submit: ["lease-list", "lease-up-local", "submit", "run"],
  run: ["lease-list", "lease-up-local", "run", "lease-up", "lease-show", "lease-release"],
  sweep: ["lease-list", "lease-up-local", "sweep"],
  "sweep show": ["sweep-show"],
  "sweep ls": ["sweep-list"],
  tasks: ["tasks"],
  tags: ["tags"],
  show: ["show"],
  "notify set": ["notify-set"],
  "notify show": ["notify-show"],
  "notify test": ["notify-test"],
  "notify off": ["notify-off", "notify-show"],
  stats: ["candidates", "stats"],
  ps: ["tasks"],
  status: ["status"],
  tui: ["tui", "cancel", "requeue", "submit"],
  ui: ["tui", "cancel", "requeue", "show", "lease-show", "lease-gpus", "lease-release", "submit", "resources"],
  logs: ["candidates", "logs", "logs-search", "show"],
  wait: ["candidates", "wait"],
  cancel: ["candidates", "cancel"],
  requeue: ["candidates", "requeue"],
  note: ["candidates", "note"],
  rerun: ["candidates", "rerun"],
  clean: ["clean"],
  pull: ["candidates", "show"],
  "sync push": { none: "rsync from this machine over rv's ssh connection: nothing of a lease" },
  "sync pull": { none: "rsync to this machine over rv's ssh connection: nothing of a lease" },
  "sync status": { none: "reads this machine's record of pushes and git" },
  "sync watch": { none: "rsync from this machine on each change" },
  "config show": { none: "reads rv.toml, .env and the flags here: nothing of a lease" },
  "env set": { none: "the secrets store of this machine; tasks get its values through submit, run and sweep" },
  "env list": { none: "reads the secrets store of this machine" },
  "env rm": { none: "the secrets store of this machine" },
  up: ["lease-up", "lease-show", "lease-release", "attach", "run"],
  "lease up": ["lease-up-local", "lease-up", "lease-show", "lease-release"],
  "lease renew": ["lease-renew"],
  "lease claim": ["lease-claim"],
  "lease end-segment": ["lease-end-segment"],
  "lease supervise": ["lease-supervise"],
  "lease ls": ["lease-list"],
  "lease why": ["lease-why"],
  "lease show": ["lease-show"],
  "lease release": ["lease-release"],
  "lease rm": ["lease-remove"],
  "lease resume": ["lease-resume"],
  "lease extend": ["lease-extend"],
  init: ["resources"],
  "cluster ls": { none: "reads this machine's config.toml and ssh config" },
  "cluster use": { none: "sets the cluster in use in this machine's config.toml" },
  "cluster rm": { none: "forgets a cluster on this machine: nothing on the cluster changes" },
  doctor: ["doctor"],
  resources: ["resources"],
  cost: ["balance"],
  attach: ["attach"],
  ssh: ["attach"],
  forward: ["candidates", "forward"],
  rpc: { none: "the login-node end of every op: it runs them" },
  runner: { none: "the runner daemon of a lease, in the foreground" },
  completions: { none: "prints a completion script made from the program itself" },
  __complete: { none: "names for a completion script, from this machine's files: it must never wait for ssh" },
};

function leafCommands(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    // A command with subcommands is a verb itself too when it takes arguments (`rv sweep -- ...`, `rv sweep show`).
    const itself = sub.commands.length === 0 || sub.registeredArguments.length > 0 ? [path.join(" ")] : [];
    return [...itself, ...leafCommands(sub, path)];
  });
}

describe("the ops table", () => {
  test("is exhaustive over the CLI's verbs, and names only ops that exist", () => {
    const program = buildProgram(async () => {}, "test");
    expect(leafCommands(program).sort()).toEqual(Object.keys(VERB_OPS).sort());
    const named = Object.values(VERB_OPS).flatMap((v) => ("none" in v ? [] : v));
    expect(named.filter((name) => !Object.hasOwn(ops, name))).toEqual([]);
  });

  test("every op in the registry is called by some verb, under its own name", () => {
    const named = new Set(Object.values(VERB_OPS).flatMap((v) => ("none" in v ? [] : v)));
    expect(Object.keys(ops).filter((name) => !named.has(name))).toEqual([]);
    for (const [name, op] of Object.entries(ops)) expect(op.name).toBe(name);
  });
});

describe("results are checked against their op's schema where they arrive", () => {
  test("a result that does not match is refused with the op and the field named", async () => {
    const lying = defineOp({
      name: "lying",
      input: z.object({}),
      result: z.object({ count: z.number() }),
      run: () => ({ count: "three" }) as unknown as { count: number },
    });
    const place = localPlace("/nonexistent", loadConfig("/nonexistent", {}), {});
    await expect(place.call(lying, {})).rejects.toThrow(
      /the result of op lying on this machine does not match its schema: count: /,
    );
  });

  const home = useRvHome();

  test("every task and lease op answers in its schema on a real local lease", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "here"])).exitCode).toBe(0);
    const place = localPlace(home.root, loadConfig(home.root, {}), {});
    const spec = (shell: string) => ({ shell });
    const { tasks } = await place.call(submitOp, { lease: "here", specs: [spec("echo ok"), spec("exit 3")] });
    const [ok, failing] = tasks.map((t) => t.id);
    const select = (refs: string[]) => ({ refs });
    const waited = await place.call(waitOp, { select: select([ok ?? "", failing ?? ""]) });
    expect(waited.tasks.map((t) => t?.state)).toEqual(["succeeded", "failed"]);
    const run = await place.call(runOp, { lease: "here", specs: [spec("echo ran")], follow: true });
    expect(run.exitStatus).toBe(0);
    expect((await place.call(tasksOp, { limit: 0 })).total).toBe(3);
    expect((await place.call(logsOp, { select: select([ok ?? ""]) })).log?.text).toBe("ok\n");
    expect((await place.call(statsOp, { select: select([ok ?? ""]) })).tasks[0]?.attempts).toHaveLength(1);
    // "1" is the newest task (and also any task whose random id happens to end in 1).
    const newest = run.tasks[0]?.id ?? "?";
    expect((await place.call(candidatesOp, { refs: ["1"] })).candidates[0]?.tasks.map((t) => t.id)).toContain(newest);
    expect((await place.call(requeueOp, { select: select([failing ?? ""]) })).tasks[0]?.outcome).toBe("requeued");
    const sleeper = (await place.call(submitOp, { lease: "here", specs: [spec("sleep 30")] })).tasks[0]?.id ?? "";
    expect((await place.call(cancelOp, { select: select([sleeper]) })).tasks[0]?.outcome).toMatch(/^cancel/);
    expect((await place.call(statusOp, {})).leases.map((l) => l.lease)).toEqual(["here"]);
    expect((await place.call(leaseListOp, {})).leases[0]?.summary?.lease).toBe("here");
    expect((await place.call(leaseShowOp, { lease: "here" })).slurm).toBeNull();
    expect((await place.call(tuiOp, { lease: null })).leases).toHaveLength(1);
    const released = await place.call(leaseReleaseOp, { leases: ["here"], wait: true });
    expect(released.leases).toEqual([{ id: "here", kind: "local", cancelled: [] }]);
  });
});
