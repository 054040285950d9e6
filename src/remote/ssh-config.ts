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
  const { rest } = splitBlock(readConfig(file), host.alias);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic.sync(file, `${rest}${renderSshHostBlock(host)}`, { mode: 0o600 });
}

/** Takes the block for `alias` out of the file (`rv cluster rm`); false when there was none. */
export function removeSshHostBlock(file: string, alias: string): boolean {
  const { block, rest } = splitBlock(readConfig(file), alias);
  if (block === null) return false;
  writeFileAtomic.sync(file, rest, { mode: 0o600 });
  return true;
}

/** Where rv's block for `alias` connects: `user@host:port`, or null without a block. */
export function sshLoginOf(file: string, alias: string): string | null {
  const { block } = splitBlock(readConfig(file), alias);
  if (block === null) return null;
  const setting = (key: string) => new RegExp(`^\\s*${key}\\s+(\\S+)`, "m").exec(block)?.[1];
  return `${setting("User") ?? "?"}@${setting("HostName") ?? alias}:${setting("Port") ?? 22}`;
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return "";
  }
}

function splitBlock(text: string, alias: string): { block: string | null; rest: string } {
  const start = text.indexOf(begin(alias));
  const stop = text.indexOf(end(alias));
  if (start < 0 || stop <= start) return { block: null, rest: text };
  const after = stop + end(alias).length + 1;
  return { block: text.slice(start, after), rest: text.slice(0, start) + text.slice(after) };
}

const begin = (alias: string) => `# >>> rv ${alias} (written by rv init)`;
const end = (alias: string) => `# <<< rv ${alias}`;

/** ssh_config takes double quotes around values with spaces. */
function quoteConfigValue(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value;
}
