/**
 * `rv env`'s store on the laptop: secrets encrypted at rest (AES-256-GCM), the key in the OS keyring or a 0600 file.
 * Below ops and cli; it knows config, errors and fsqueue's paths only. Other modules import this file, except where a
 * command's start-up must evaluate only what it runs (docs/benchmarks.md (h)).
 */
export * from "./crypto.ts";
export * from "./entries.ts";
export * from "./key.ts";
export * from "./schema.ts";
export * from "./store.ts";
