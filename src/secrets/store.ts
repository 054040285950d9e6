import { mkdirSync } from "node:fs";
import writeFileAtomic from "write-file-atomic";
import { RvError } from "../errors.ts";
import { secretsStoreFile, tryReadRecord } from "../fsqueue/index.ts";
import { open, seal } from "./crypto.ts";
import { EMPTY } from "./entries.ts";
import { createKey, type KeyOptions, readKey } from "./key.ts";
import { type KeyKeeperKind, type Secrets, SecretsSchema, type StoreFile, StoreFileSchema } from "./schema.ts";

/** The store file, parsed but still sealed; undefined when no secret was ever set. */
function readStoreFile(file: string): StoreFile | undefined {
  const parsed = tryReadRecord(file, StoreFileSchema);
  if (parsed === undefined || parsed.ok) return parsed?.value;
  throw new RvError("bad_record", `${file} is not an rv secrets store: ${parsed.reason}`, {
    hint: "remove it and set the secrets again",
  });
}

/** Opens a sealed store with the key `kind` names; pure but for nothing: the key is given. */
export function openStore(file: StoreFile, key: Buffer, where: string): Secrets {
  const plain = open(key, file, where);
  const parsed = SecretsSchema.safeParse(JSON.parse(plain));
  if (!parsed.success) throw new RvError("bad_record", `${where} holds an unknown layout`);
  return parsed.data;
}

export function sealStore(secrets: Secrets, key: Buffer, kind: KeyKeeperKind): StoreFile {
  return { v: 1, cipher: "aes-256-gcm", key: kind, ...seal(key, JSON.stringify(secrets)) };
}

/** The secrets of this rv home, opened; none (and no key asked for) when nothing was ever set. */
export function loadSecrets(options: KeyOptions): Secrets {
  const file = secretsStoreFile(options.root);
  const sealed = readStoreFile(file);
  if (sealed === undefined) return EMPTY;
  return openStore(sealed, readKey(sealed.key, options), file);
}

/** Writes the store whole (atomically, 0600), with the key it already has, or a new one for a first store. */
export function saveSecrets(options: KeyOptions, secrets: Secrets): void {
  const file = secretsStoreFile(options.root);
  const sealed = readStoreFile(file);
  mkdirSync(options.root, { recursive: true, mode: 0o700 });
  const { kind, key } =
    sealed === undefined ? createKey(options) : { kind: sealed.key, key: readKey(sealed.key, options) };
  writeFileAtomic.sync(file, `${JSON.stringify(sealStore(secrets, key, kind))}\n`, { mode: 0o600 });
}
