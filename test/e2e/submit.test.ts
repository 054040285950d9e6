import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

const printArgv = ["python3", "-c", "import json,sys; print(json.dumps(sys.argv[1:]))"];

describe("rv submit (built binary)", () => {
  const home = useRvHome();

  it("starts the default local lease on a fresh machine and records argv exactly", async () => {
    const tricky = ['it\'s "quoted"', "two\nlines", "$(touch /tmp/rv-pwned)", "ünïcödé ✓", "*", "", "--json"];
    const submit = await rv(home.root, ["submit", "--wait", "--", ...printArgv, ...tricky]);
    expect(submit.exitCode).toBe(0);
    expect(submit.stderr).toContain("started local lease local");
    const id = String(submit.stdout).trim();
    const logs = await rv(home.root, ["logs", id]);
    expect(JSON.parse(String(logs.stdout))).toEqual(tricky);
    const show = json<{ tasks: { command: { argv: string[] } }[] }>(
      String((await rv(home.root, ["tasks", "--json"])).stdout),
    );
    expect(show.tasks[0]?.command.argv).toEqual([...printArgv, ...tricky]);
  });

  it("--follow streams output and exits with the task's exit status; --shell runs shell syntax", async () => {
    const follow = await rv(home.root, ["submit", "--follow", "--shell", "echo out; echo err >&2; exit 7"]);
    expect(follow.exitCode).toBe(7);
    expect(follow.stdout).toContain("out");
    expect(follow.stderr).toContain("err");
    const wait = await rv(home.root, ["submit", "--wait", "--json", "--", "sh", "-c", "kill -TERM $$"]);
    expect(wait.exitCode).toBe(128 + 15);
    expect(json<{ tasks: { state: string; signal: string }[] }>(String(wait.stdout)).tasks[0]).toMatchObject({
      state: "failed",
      signal: "SIGTERM",
    });
  });

  it("gives the task its environment: rv variables, --env, --cwd, and an allowlist of the submitter's", async () => {
    const script =
      "import os,json; print(json.dumps({k: os.environ.get(k) for k in ['RV_TASK_ID','RV_ATTEMPT','RV_LEASE_ID','CUDA_VISIBLE_DEVICES','PYTHONUNBUFFERED','MY_VAR','SECRET_TOKEN']})); print(os.getcwd())";
    const submit = await rv(
      home.root,
      ["submit", "--wait", "--env", "MY_VAR=a=b", "--cwd", home.root, "--", "python3", "-c", script],
      { env: { SECRET_TOKEN: "hunter2" } },
    );
    expect(submit.exitCode).toBe(0);
    const id = String(submit.stdout).trim();
    const [envJson, cwd] = String((await rv(home.root, ["logs", id])).stdout)
      .trim()
      .split("\n");
    expect(JSON.parse(envJson ?? "")).toEqual({
      RV_TASK_ID: id,
      RV_ATTEMPT: "1",
      RV_LEASE_ID: "local",
      CUDA_VISIBLE_DEVICES: "",
      PYTHONUNBUFFERED: "1",
      MY_VAR: "a=b",
      SECRET_TOKEN: null,
    });
    expect(cwd).toBe(home.root);
    const taskFile = readFileSync(join(home.root, "leases", "local", "done", `${id}.json`), "utf8");
    expect(taskFile).not.toContain("hunter2");
  });

  it("--from submits one task per line, and a file with a bad line submits nothing and names the line", async () => {
    const good = join(home.root, "good.jsonl");
    writeFileSync(good, '{"argv": ["true"], "name": "a"}\n\n{"shell": "exit 0", "name": "b", "gpus": 0}\n');
    const ok = await rv(home.root, ["submit", "--from", good, "--json"]);
    expect(ok.exitCode).toBe(0);
    expect(json<{ tasks: unknown[] }>(String(ok.stdout)).tasks).toHaveLength(2);

    const bad = join(home.root, "bad.jsonl");
    writeFileSync(bad, '{"argv": ["true"]}\nnot json\n{"argv": "true"}\n{"argv": ["x"], "gpu": 1}\n');
    const rejected = await rv(home.root, ["submit", "--from", bad]);
    expect(rejected.exitCode).toBe(2);
    expect(rejected.stderr).toMatch(/3 bad lines, nothing was submitted/);
    expect(rejected.stderr).toMatch(/line 2: not JSON/);
    expect(rejected.stderr).toMatch(/line 3: argv/);
    expect(rejected.stderr).toMatch(/line 4:/);
    const tasks = json<{ total: number }>(String((await rv(home.root, ["tasks", "--json"])).stdout));
    expect(tasks.total).toBe(2);
  });

  it("bad flags and unknown names fail with a clear message and exit code, in text and JSON", async () => {
    const noCommand = await rv(home.root, ["submit"]);
    expect(noCommand.exitCode).toBe(2);
    expect(noCommand.stderr).toMatch(/give the command after --/);
    const badGpus = await rv(home.root, ["submit", "--gpus", "two", "--", "true"]);
    expect(badGpus.exitCode).toBe(2);
    expect(badGpus.stderr).toMatch(/--gpus "two": expected a whole number/);
    const unknownLease = await rv(home.root, ["submit", "--lease", "nope", "--json", "--", "true"]);
    expect(unknownLease.exitCode).toBe(3);
    expect(json<{ error: { code: string; hint: string } }>(String(unknownLease.stdout)).error).toMatchObject({
      code: "not_found",
      hint: expect.stringContaining("rv lease up --local --name nope"),
    });
    const unknownFlag = await rv(home.root, ["tasks", "--bogus"]);
    expect(unknownFlag.exitCode).toBe(2);
    expect(unknownFlag.stderr).toMatch(/unknown option '--bogus'/);
    const badSignal = await rv(home.root, ["submit", "--checkpoint=KILL", "--", "true"]);
    expect(badSignal.exitCode).toBe(2);
    expect(badSignal.stderr).toMatch(/--checkpoint: "KILL" is not a checkpoint signal: use USR1/);
    const badTime = await rv(home.root, ["submit", "--time-request", "a while", "--", "true"]);
    expect(badTime.exitCode).toBe(2);
    expect(badTime.stderr).toMatch(/--time-request: expected a positive duration like 90s, 30m or 2h/);
  });

  it("--checkpoint: SIGUSR1 to the runner (a segment end) has the task save and requeues it; the next runner resumes it", async () => {
    const lease = join(home.root, "leases", "local");
    const script = [
      'if [ "$RV_RESUME" = 1 ]; then echo "resumed on attempt $RV_ATTEMPT from $(cat ckpt)"; exit 0; fi',
      "trap 'echo saved > ckpt; exit 0' USR1",
      "echo ready",
      "sleep 1000 & wait",
    ].join("\n");
    const args = ["submit", "--checkpoint", "--time-request", "10m", "--cwd", home.root, "--shell", script];
    const submit = await rv(home.root, args);
    expect(submit.exitCode, String(submit.stderr)).toBe(0);
    const id = String(submit.stdout).trim();
    await waitFor(async () => String((await rv(home.root, ["logs", id])).stdout).includes("ready"), {
      what: "the task to set its trap",
    });
    const beats = () =>
      readdirSync(join(lease, "hb")).map((name) =>
        json<{ pid: number; state: string }>(readFileSync(join(lease, "hb", name), "utf8")),
      );
    const runnerPid = await waitFor(() => beats()[0]?.pid, { what: "the runner's heartbeat" });
    process.kill(runnerPid, "SIGUSR1");
    await waitFor(() => beats()[0]?.state === "exited", { what: "the runner to leave" });
    const requeued = json(readFileSync(join(lease, "inbox", `${id}.json`), "utf8"));
    expect(requeued).toMatchObject({
      attempt: 2,
      crashes: 0,
      resume: true,
      checkpointSignal: "SIGUSR1",
      timeRequestMs: 600_000,
    });

    expect((await rv(home.root, ["lease", "up", "--local"])).exitCode).toBe(0);
    expect((await rv(home.root, ["wait", id])).exitCode).toBe(0);
    expect(String((await rv(home.root, ["logs", id])).stdout)).toBe("resumed on attempt 2 from saved\n");
  });
});
