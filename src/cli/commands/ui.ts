import { RvError } from "../../errors.ts";
import { jitAsUsual } from "../../jit.ts";
import type { Place } from "../../ops/index.ts";
import { openInBrowser } from "../../web/open.ts";
import type { WebStart } from "../../web/schema.ts";
import { startWebServer } from "../../web/server.ts";
import { isLoopback, newToken } from "../../web/token.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { secretsForPlace } from "./task-secrets.ts";

export interface UiOptions {
  port?: string;
  host?: string;
  open?: boolean;
}

/**
 * `rv ui`: a web page of this machine's leases and the cluster's, served here until Ctrl-C. Loopback only unless
 * --host says otherwise; every request needs the token in the printed URL (then the page's cookie).
 */
export async function runUi(ctx: Context, options: UiOptions): Promise<number> {
  jitAsUsual();
  const port = portOf(options.port);
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) {
    ctx.io.err(
      `rv ui: warning: serving on ${host}, not this machine only: whoever reaches it with the token can cancel your tasks, release your leases and run commands in them, over plain http\n`,
    );
  }
  const token = newToken();
  const sources = [
    { place: ctx.local, everyMs: 1000 },
    ...(ctx.cluster ? [{ place: ctx.cluster, everyMs: 2000 }] : []),
  ];
  const secretsFor = (place: Place) => secretsForPlace(ctx, place);
  const server = await startWebServer({ sources, host, port, token, secretsFor });
  if (ctx.json) {
    const start: Omit<WebStart, "v"> = { url: server.url, host, port: server.port, token, pid: process.pid };
    printJson(ctx.io, start);
  } else {
    ctx.io.out(`${server.url}\n`);
    const places = sources.map((s) => s.place.where).join(" and ");
    ctx.io.err(`rv ui: the leases of ${places}, at the URL above (it holds the token); Ctrl-C stops it\n`);
  }
  const forget = options.open ? openBrowser(ctx, server.url, server.port) : () => {};
  await stopped();
  forget();
  await server.close();
  return 0;
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new RvError("usage", `--port ${text} is not a port`, {
      hint: "a number from 1 to 65535, or leave --port out for any free one",
    });
  }
  return port;
}

/** Ctrl-C, a SIGTERM or the terminal going: the server closes its streams and stops listening. */
function stopped(): Promise<void> {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  return new Promise((resolve) => {
    const stop = () => {
      for (const signal of signals) process.removeListener(signal, stop);
      resolve();
    };
    for (const signal of signals) process.once(signal, stop);
  });
}

/** $BROWSER, else the desktop's opener; a machine without one is told to open the URL itself. */
function openBrowser(ctx: Context, url: string, port: number): () => void {
  const opener = ctx.env.BROWSER || (process.platform === "darwin" ? "open" : "xdg-open");
  const onError = () => ctx.io.err(`rv ui: could not open a browser (${opener}); open the URL above\n`);
  return openInBrowser({ opener, root: ctx.root, url, port, onError });
}
