import { readFileSync } from "node:fs";
import { RvError } from "../../errors.ts";
import { maskedList, scopeOf, withoutSecret, withSecret } from "../../secrets/entries.ts";
import { keyOptions } from "../../secrets/key.ts";
import { SecretNameSchema } from "../../secrets/schema.ts";
import { loadSecrets, saveSecrets } from "../../secrets/store.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";

interface EnvOptions {
  /** true: the cluster in use; a name has already chosen `ctx.config.cluster` (main.ts). */
  cluster?: boolean | string;
  json?: boolean;
}

/** `rv env set|list|rm`. */
export async function runEnv(
  ctx: Context,
  verb: "set" | "list" | "rm",
  args: string[],
  opts: EnvOptions,
): Promise<number> {
  const keys = keyOptions(ctx.root, ctx.env);
  const store = loadSecrets(keys);
  if (verb === "list") {
    const rows = maskedList(store).filter((row) => !opts.cluster || row.scope === scopeOf({ cluster: clusterOf(ctx) }));
    if (ctx.json) printJson(ctx.io, { secrets: rows });
    else if (rows.length === 0) ctx.io.err("rv: no secrets set (rv env set NAME)\n");
    else
      for (const row of rows)
        ctx.io.out(`${row.name.padEnd(24)} ${row.scope.padEnd(20)} ${row.value}  set ${row.setAt}\n`);
    return 0;
  }
  const name = nameOf(args[0] ?? "");
  const cluster = opts.cluster ? clusterOf(ctx) : null;
  const scope = scopeOf({ cluster });
  if (verb === "rm") {
    const { store: next, removed } = withoutSecret(store, name, cluster);
    if (!removed)
      throw new RvError("not_found", `${name} is not set (${scope})`, { hint: "rv env list shows what is" });
    saveSecrets(keys, next);
    if (ctx.json) printJson(ctx.io, { removed: { name, scope } });
    else ctx.io.err(`rv: removed ${name} (${scope})\n`);
    return 0;
  }
  const value = args[1] ?? (await valueFromStdin(ctx, name));
  if (value === "") throw new RvError("usage", `no value for ${name}`, { hint: `echo -n VALUE | rv env set ${name}` });
  saveSecrets(keys, withSecret(store, { name, cluster, value, setAt: ctx.now().toISOString() }));
  if (ctx.json) printJson(ctx.io, { set: { name, scope } });
  else ctx.io.err(`rv: set ${name} (${scope}); tasks submitted from now on get it\n`);
  return 0;
}

function nameOf(text: string): string {
  const parsed = SecretNameSchema.safeParse(text);
  if (!parsed.success) throw new RvError("usage", `${text || "''"}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function clusterOf(ctx: Context): string {
  const cluster = ctx.config.cluster?.name;
  if (!cluster) throw new RvError("usage", "--cluster: no cluster is configured", { hint: "rv init --host HOST" });
  return cluster;
}

/** A terminal asks without echo; a pipe gives its whole text, one final newline dropped (`echo x |`). */
async function valueFromStdin(ctx: Context, name: string): Promise<string> {
  if (process.stdin.isTTY) return promptHidden(ctx, `${name}: `);
  return readFileSync(0, "utf8").replace(/\r?\n$/, "");
}

/** Reads a line with the terminal's echo off; Ctrl-C gives up (nothing is stored). */
function promptHidden(ctx: Context, question: string): Promise<string> {
  const stdin = process.stdin;
  ctx.io.err(question);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: RvError) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      ctx.io.err("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003") return finish(new RvError("usage", "stopped: nothing was set"));
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}
