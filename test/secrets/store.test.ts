import { readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import { secretsKeyFile, secretsStoreFile } from "../../src/fsqueue/index.ts";
import {
  EMPTY,
  type KeyOptions,
  loadSecrets,
  MASK,
  maskedList,
  newKey,
  open,
  SecretNameSchema,
  saveSecrets,
  seal,
  secretsFor,
  withoutSecret,
  withSecret,
} from "../../src/secrets/index.ts";
import { makeHome } from "../helpers/home.ts";

const VALUE = "sk-live-0123456789abcdef";
const at = "2026-01-01T00:00:00.000Z";
const homes: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of homes.splice(0)) cleanup();
});

function fileKeyed(): KeyOptions {
  const home = makeHome("rv-secrets-");
  homes.push(home.cleanup);
  return { root: home.root, platform: process.platform, keyringOff: true };
}

describe("sealing", () => {
  test("what is sealed opens with its key, and the sealed text does not hold it", () => {
    const key = newKey();
    const sealed = seal(key, VALUE);
    expect(JSON.stringify(sealed)).not.toContain(VALUE);
    expect(open(key, sealed, "store")).toBe(VALUE);
  });

  test("another key, or a changed byte, fails clearly instead of giving garbage", () => {
    const sealed = seal(newKey(), VALUE);
    expect(() => open(newKey(), sealed, "the store")).toThrow(/cannot be opened with its key/);
    const data = Buffer.from(sealed.data, "base64");
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => open(newKey(), { ...sealed, data: data.toString("base64") }, "the store")).toThrow(/cannot be opened/);
  });
});

describe("the store on disk", () => {
  test("round trip: set, load in a new process's way, remove", () => {
    const keys = fileKeyed();
    expect(loadSecrets(keys)).toEqual(EMPTY);
    saveSecrets(keys, withSecret(EMPTY, { name: "TOKEN", cluster: null, value: VALUE, setAt: at }));
    expect(loadSecrets(keys).secrets).toEqual([{ name: "TOKEN", cluster: null, value: VALUE, setAt: at }]);
    saveSecrets(keys, withoutSecret(loadSecrets(keys), "TOKEN", null).store);
    expect(loadSecrets(keys).secrets).toEqual([]);
  });

  test("the store and its key file are 0600, and the value is nowhere in clear", () => {
    const keys = fileKeyed();
    saveSecrets(keys, withSecret(EMPTY, { name: "TOKEN", cluster: null, value: VALUE, setAt: at }));
    for (const file of [secretsStoreFile(keys.root), secretsKeyFile(keys.root)]) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).not.toContain(VALUE);
    }
    expect(JSON.parse(readFileSync(secretsStoreFile(keys.root), "utf8")).key).toBe("file");
  });

  test("a store whose key file was replaced says so rather than open", () => {
    const keys = fileKeyed();
    saveSecrets(keys, withSecret(EMPTY, { name: "TOKEN", cluster: null, value: VALUE, setAt: at }));
    writeFileSync(secretsKeyFile(keys.root), `${newKey().toString("base64")}\n`);
    expect(() => loadSecrets(keys)).toThrow(/cannot be opened with its key/);
  });
});

describe("scopes and masking", () => {
  const store = [
    { name: "TOKEN", cluster: null, value: "global-token", setAt: at },
    { name: "TOKEN", cluster: "dev", value: "dev-token", setAt: at },
    { name: "ONLY_DEV", cluster: "dev", value: "x", setAt: at },
  ].reduce(withSecret, EMPTY);

  test("a local lease gets the globals; a cluster's lease its own too, which win", () => {
    expect(secretsFor(store, null)).toEqual({ TOKEN: "global-token" });
    expect(secretsFor(store, "dev")).toEqual({ TOKEN: "dev-token", ONLY_DEV: "x" });
    expect(secretsFor(store, "other")).toEqual({ TOKEN: "global-token" });
  });

  test("a global and a cluster's secret of one name are two: removing one keeps the other", () => {
    const { store: left, removed } = withoutSecret(store, "TOKEN", "dev");
    expect(removed).toBe(true);
    expect(secretsFor(left, "dev")).toEqual({ TOKEN: "global-token", ONLY_DEV: "x" });
    expect(withoutSecret(left, "TOKEN", "dev").removed).toBe(false);
  });

  test("the list tells names and scopes, never a value or its length", () => {
    const listed = maskedList(store);
    expect(listed.map((row) => [row.name, row.scope])).toEqual([
      ["TOKEN", "global"],
      ["ONLY_DEV", "cluster dev"],
      ["TOKEN", "cluster dev"],
    ]);
    expect(new Set(listed.map((row) => row.value))).toEqual(new Set([MASK]));
    expect(JSON.stringify(listed)).not.toMatch(/global-token|dev-token/);
  });

  test("names are environment variable names, and not rv's own", () => {
    for (const good of ["TOKEN", "_x", "WANDB_API_KEY2"]) expect(SecretNameSchema.safeParse(good).success).toBe(true);
    for (const bad of ["", "1X", "A-B", "A B", "RV_HOME"]) expect(SecretNameSchema.safeParse(bad).success).toBe(false);
  });
});
