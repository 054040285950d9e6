import { existsSync } from "node:fs";
import { basename, dirname, join, posix, relative, resolve, sep } from "node:path";
import { RvError } from "../errors.ts";

/** The directory a sync takes by default: the nearest above `cwd` with `.git` or `rv.toml`, else `cwd` itself. */
export function projectRoot(cwd: string, exists: (file: string) => boolean = existsSync): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (exists(join(dir, ".git")) || exists(join(dir, "rv.toml"))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

/** A project's workspace under rv's cluster root, named after its directory: `<root>/workspaces/<name>`. */
export function defaultWorkspace(clusterRoot: string, localDir: string): string {
  const name = basename(resolve(localDir)).replace(/[^A-Za-z0-9._-]/g, "_") || "project";
  return posix.join(clusterRoot, "workspaces", name);
}

/** Where a task submitted from `cwd` runs in the workspace: the same place relative to the project's root. */
export function workspaceCwd(workspace: string, root: string, cwd: string): string {
  const inside = relative(root, resolve(cwd));
  if (inside.startsWith("..")) {
    throw new RvError("usage", `${cwd} is outside the project ${root} that --sync pushes`, {
      hint: "run rv submit --sync from inside the project, or give --cwd",
    });
  }
  return inside === "" ? workspace : posix.join(workspace, ...inside.split(sep));
}
