import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { RvError } from "../errors.ts";

/** AES-256-GCM: a 32-byte key, a fresh 12-byte nonce per sealing, and a tag that tells a wrong key or a change. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
/** Binds the ciphertext to what it is: the same key's output for anything else never opens as a store. */
const CONTEXT = Buffer.from("rv secrets store v1");

export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function seal(key: Buffer, plaintext: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(CONTEXT);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
}

/** The plaintext, or a clear error when the key is not the one that sealed it (or the file was changed). */
export function open(key: Buffer, sealed: Sealed, where: string): string {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
    decipher.setAAD(CONTEXT);
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new RvError(
      "bad_record",
      `${where} cannot be opened with its key: the key is not the one it was written with, or the file was changed`,
      {
        hint: "if the key is lost, the secrets are too: remove the store and set them again (rv env set NAME)",
      },
    );
  }
}
