import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";

/**
 * rv's own ssh config file (`$RV_HOME/ssh/config`, passed to ssh with -F): one host block per cluster, with
 * everything ssh needs spelled out, so rv never edits ~/.ssh/config and never depends on how it is laid out.
 * Host keys rv learns go to its own known_hosts; keys already in ~/.ssh/known_hosts are trusted as well.
 */
export interface SshHost {
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: readonly string[];
  proxyJump: string | null;
  controlDir: string;
  knownHosts: string;
}

export function renderSshHostBlock(host: SshHost): string {
  const lines = [
    `Host ${host.alias}`,
    `  HostName ${host.hostName}`,
    `  Port ${host.port}`,
    `  User ${host.user}`,
    ...host.identityFiles.map((file) => `  IdentityFile ${quoteConfigValue(file)}`),
    ...(host.identityFiles.length ? ["  IdentitiesOnly yes"] : []),
    ...(host.proxyJump ? [`  ProxyJump ${host.proxyJump}`] : []),
    `  UserKnownHostsFile ${quoteConfigValue(host.knownHosts)} ~/.ssh/known_hosts`,
    // First contact trusts and records the key (the user asked for this host); a changed key still fails.
    "  StrictHostKeyChecking accept-new",
    "  BatchMode yes",
    "  ControlMaster auto",
    `  ControlPath ${quoteConfigValue(`${host.controlDir}/cm-%C`)}`,
    "  ControlPersist 10m",
    "  ServerAliveInterval 15",
    "  ServerAliveCountMax 3",
  ];
  return `${begin(host.alias)}\n${lines.join("\n")}\n${end(host.alias)}\n`;
}

/** Puts the block for `host.alias` into the file, replacing an earlier one for the same alias. Atomic, 0600. */
export function writeSshHostBlock(file: string, host: SshHost): void {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const start = text.indexOf(begin(host.alias));
  const stop = text.indexOf(end(host.alias));
  const rest = start >= 0 && stop > start ? text.slice(0, start) + text.slice(stop + end(host.alias).length + 1) : text;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic.sync(file, `${rest}${renderSshHostBlock(host)}`, { mode: 0o600 });
}

const begin = (alias: string) => `# >>> rv ${alias} (written by rv init)`;
const end = (alias: string) => `# <<< rv ${alias}`;

/** ssh_config takes double quotes around values with spaces. */
function quoteConfigValue(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value;
}
