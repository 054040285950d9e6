import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";

/** An environment variable's name, as a shell and `env` take it; rv's own `RV_*` are not for secrets. */
export const SecretNameSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      "an environment variable name: letters, digits and _, not starting with a digit",
    ),
  )
  .check(z.refine((name) => !name.startsWith("RV_"), "RV_* names are rv's own"));

/** One secret: global (every task), or only for tasks of one cluster's leases. */
export const SecretSchema = deferred(() =>
  z.object({
    name: SecretNameSchema,
    /** The cluster's name (`rv env set --cluster`); null: global. */
    cluster: z.nullable(z.string()),
    value: z.string(),
    setAt: z.string(),
  }),
);
export type Secret = z.infer<typeof SecretSchema>;

/** What the store holds once opened; never written in clear. */
export const SecretsSchema = deferred(() => z.object({ v: z.literal(1), secrets: z.array(SecretSchema) }));
export type Secrets = z.infer<typeof SecretsSchema>;

/** Where the store's key is: the OS keyring (secret-tool, macOS security) or a 0600 file beside the store. */
export const KeyKeeperKindSchema = z.enum(["keyring", "file"]);
export type KeyKeeperKind = z.infer<typeof KeyKeeperKindSchema>;

/** The store file as written: the secrets sealed with AES-256-GCM, and where the key is kept. */
export const StoreFileSchema = deferred(() =>
  z.object({
    v: z.literal(1),
    cipher: z.literal("aes-256-gcm"),
    key: KeyKeeperKindSchema,
    iv: z.string(),
    tag: z.string(),
    data: z.string(),
  }),
);
export type StoreFile = z.infer<typeof StoreFileSchema>;
