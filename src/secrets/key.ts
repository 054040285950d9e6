import { readFileSync } from "node:fs";
import { execaSync } from "execa";
import writeFileAtomic from "write-file-atomic";
import { RvError } from "../errors.ts";
import { secretsKeyFile } from "../fsqueue/index.ts";
import { KEY_BYTES, newKey } from "./crypto.ts";
import type { KeyKeeperKind } from "./schema.ts";

/** The keyring's entry for the store of one rv home: several homes (tests, two users) never share a key. */
const SERVICE = "rv-secrets";
const KEYRING_TIMEOUT_MS = 5000;

export interface KeyOptions {
  root: string;
  platform: NodeJS.Platform;
  /** `RV_KEYRING=off`: never ask the OS keyring (tests, headless machines where asking hangs). */
  keyringOff: boolean;
}

export function keyOptions(root: string, env: NodeJS.ProcessEnv): KeyOptions {
  return { root, platform: process.platform, keyringOff: env.RV_KEYRING === "off" };
}

/** The key a store names as its keeper; an error that says where to look when it cannot be had. */
export function readKey(kind: KeyKeeperKind, options: KeyOptions): Buffer {
  const key = kind === "keyring" ? keyringRead(options) : fileRead(options.root);
  if (key?.length === KEY_BYTES) return key;
  const where =
    kind === "keyring" ? `the OS keyring (service ${SERVICE}, account ${options.root})` : secretsKeyFile(options.root);
  throw new RvError("not_found", `the key of rv's secrets store is not in ${where}`, {
    hint:
      kind === "keyring"
        ? "unlock the keyring (a desktop session) and try again; if the key is lost, remove the store and set the secrets again"
        : "if the key is lost, the secrets are too: remove the store and set them again (rv env set NAME)",
  });
}

/**
 * A new store's key: a fresh random key kept by the OS keyring when there is one that answers (and gives it back),
 * else in a 0600 file under RV_HOME. No keyring is not an error: most login nodes and containers have none.
 */
export function createKey(options: KeyOptions): { kind: KeyKeeperKind; key: Buffer } {
  const existing = fileRead(options.root);
  if (existing?.length === KEY_BYTES) return { kind: "file", key: existing };
  const key = newKey();
  if (!options.keyringOff && keyringWrite(options, key) && keyringRead(options)?.equals(key)) {
    return { kind: "keyring", key };
  }
  writeFileAtomic.sync(secretsKeyFile(options.root), `${key.toString("base64")}\n`, { mode: 0o600 });
  return { kind: "file", key };
}

function fileRead(root: string): Buffer | undefined {
  try {
    return Buffer.from(readFileSync(secretsKeyFile(root), "utf8").trim(), "base64");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The key goes to the keyring tool on stdin, never in its argv (a process list would show it). */
function keyringWrite(options: KeyOptions, key: Buffer): boolean {
  const text = key.toString("base64");
  if (options.platform === "darwin") {
    // `security -i` reads its commands from stdin: the password is not in any argv.
    const line = `add-generic-password -U -s ${SERVICE} -a "${options.root.replace(/["\\]/g, "")}" -w ${text}\n`;
    return quietly("security", ["-i"], line) !== undefined;
  }
  if (options.platform === "linux") {
    const args = ["store", "--label", "rv secrets key", "service", SERVICE, "account", options.root];
    return quietly("secret-tool", args, text) !== undefined;
  }
  return false;
}

function keyringRead(options: KeyOptions): Buffer | undefined {
  if (options.keyringOff) return undefined;
  const out =
    options.platform === "darwin"
      ? quietly("security", ["find-generic-password", "-s", SERVICE, "-a", options.root, "-w"], "")
      : options.platform === "linux"
        ? quietly("secret-tool", ["lookup", "service", SERVICE, "account", options.root], "")
        : undefined;
  return out ? Buffer.from(out.trim(), "base64") : undefined;
}

/** A keyring tool's stdout, or undefined when it is missing, fails or does not answer in time. */
function quietly(file: string, args: string[], input: string): string | undefined {
  try {
    const result = execaSync(file, args, {
      input,
      reject: false,
      timeout: KEYRING_TIMEOUT_MS,
      stripFinalNewline: false,
    });
    return result.exitCode === 0 ? String(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}
