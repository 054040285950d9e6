import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";

/** The dev cluster's sshd (test/cluster/up.sh): aliases rv-devcluster (root) and rv-devcluster-user (labuser). */
export const devClusterConfig = "/var/lib/rv-devcluster/ssh/config";
const devClusterDir = "/var/lib/rv-devcluster/ssh";

function controlArgs(configFile: string, controlDir: string): string[] {
  return ["-F", configFile, "-o", `ControlPath=${join(controlDir, "cm-%C")}`];
}

/** The pid of the ControlMaster serving `host` from `controlDir`, as `ssh -O check` reports it. */
export async function masterPid(configFile: string, controlDir: string, host: string): Promise<number | undefined> {
  const { stderr } = await execa("ssh", [...controlArgs(configFile, controlDir), "-O", "check", host], {
    reject: false,
  });
  const pid = stderr.match(/Master running \(pid=(\d+)\)/)?.[1];
  return pid ? Number(pid) : undefined;
}

/** Stops the ControlMaster a test started, instead of leaving it to linger for ControlPersist. */
export async function closeMaster(configFile: string, controlDir: string, host: string): Promise<void> {
  await execa("ssh", [...controlArgs(configFile, controlDir), "-O", "exit", host], { reject: false });
}

/** Puts a wrapper named `ssh` first on PATH that logs each start; `count()` says how many ssh processes ran. */
export function countSshStarts(dir: string): { count: () => number; restore: () => void } {
  const bin = join(dir, "bin");
  const log = join(dir, "ssh-starts.log");
  mkdirSync(bin, { recursive: true });
  writeFileSync(log, "");
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\necho start >>'${log}'\nexec /usr/bin/ssh "$@"\n`);
  chmodSync(join(bin, "ssh"), 0o755);
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  return {
    count: () => readFileSync(log, "utf8").split("\n").filter(Boolean).length,
    restore: () => {
      process.env.PATH = savedPath;
    },
  };
}

/**
 * An ssh config with three broken ways to reach the dev cluster: nothing listening (rv-nowhere), a key the
 * server does not know (rv-wrongkey), and a server whose host key differs from the known one (rv-changedkey).
 */
export async function writeBrokenHostsConfig(dir: string): Promise<string> {
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "wrong_key")]);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other_host_key")]);
  const otherHostKey = readFileSync(join(dir, "other_host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  writeFileSync(join(dir, "changed_known_hosts"), `[127.0.0.1]:2222 ${otherHostKey}\n`);
  const block = (alias: string, port: number, key: string, knownHosts: string) =>
    [
      `Host ${alias}`,
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      "  User root",
      `  IdentityFile ${key}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${knownHosts}`,
      "  StrictHostKeyChecking yes",
    ].join("\n");
  const goodKey = join(devClusterDir, "id_ed25519");
  const knownHosts = join(devClusterDir, "known_hosts");
  const config = join(dir, "broken_config");
  writeFileSync(
    config,
    `${[
      block("rv-nowhere", 1, goodKey, knownHosts),
      block("rv-wrongkey", 2222, join(dir, "wrong_key"), knownHosts),
      block("rv-changedkey", 2222, goodKey, join(dir, "changed_known_hosts")),
    ].join("\n")}\n`,
  );
  return config;
}
