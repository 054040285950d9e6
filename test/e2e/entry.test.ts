import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

describe("entry points and interrupts", () => {
  const home = useRvHome();

  it("the npm bin entry (npx rv) runs the same CLI under Node", async () => {
    const bin = join(import.meta.dirname, "..", "..", "bin", "rv.js");
    const run = await execa("node", [bin, "submit", "--wait", "--json", "--", "echo", "via node"], {
      env: { RV_HOME: home.root },
      reject: false,
    });
    expect(run.exitCode).toBe(0);
    expect(json<{ tasks: { state: string }[] }>(run.stdout).tasks[0]?.state).toBe("succeeded");
  });

  it("Ctrl-C during --follow stops following, not the task", async () => {
    const follow = execa(RV_BIN, ["submit", "--follow", "--shell", "echo started; sleep 30"], {
      env: { RV_HOME: home.root },
      reject: false,
      stdin: "ignore",
    });
    let seen = "";
    follow.stdout?.on("data", (chunk) => {
      seen += String(chunk);
    });
    await waitFor(() => seen.includes("started"), { what: "the task's first output" });
    follow.kill("SIGINT");
    const result = await follow;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/stopped following; the task goes on \(rv logs -f \w+\)/);
    const tasks = json<{ tasks: { state: string }[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout));
    expect(tasks.tasks[0]?.state).toBe("running");
  });
});
