import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { asRvError, RvError } from "../errors.ts";
import type { Place } from "../ops/index.ts";
import { actOnTask, type TaskAction, taskDetail } from "./actions.ts";
import type { PageAssets } from "./assets.ts";
import { EventSender } from "./events.ts";
import type { LiveFeed, LogStream } from "./feed.ts";
import { leaseGpusReader, readClusters, releaseLease, showLeaseAt, submitToLease } from "./leases.ts";
import { WEB_VERSION } from "./schema.ts";
import { cookieName, isLoopback, isOwnHost, proofOf, sameOrigin } from "./token.ts";

export interface WebAppOptions {
  token: string;
  /** The address listened on: on loopback, a request must name it (or 127.0.0.1, localhost, [::1]) as its Host. */
  host: string;
  /** The port listened on (known once listening): it names the cookie. */
  port: () => number;
  feed: LiveFeed;
  assets: PageAssets;
  /** Fires when the server shuts down: open event streams end. */
  closing: AbortSignal;
  /** The secrets (`rv env`) a task submitted to this place gets, as `rv submit` gives them. */
  secretsFor?: (place: Place) => Promise<Record<string, string>>;
}

/**
 * The routes of `rv ui`: the page, its script and style, the JSON API and the event stream. Every request carries
 * the token; an action asked with the cookie must also come from the page itself (same origin).
 */
export function webApp(options: WebAppOptions): Hono {
  const app = new Hono();
  const leaseGpus = leaseGpusReader(options.feed);
  app.use(async (c, next) => {
    c.header("Cache-Control", "no-store");
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (isLoopback(options.host) && !isOwnHost(host, options.host, options.port())) {
      return refuse(c, 403, `rv ui answers to 127.0.0.1, localhost or [::1] only, not ${host}`);
    }
    const proof = proofOf(c.req, getCookie(c, cookieName(options.port())), options.token);
    const reading = c.req.method === "GET" || c.req.method === "HEAD";
    if (!proof || (proof === "query" && !reading)) return refuse(c, 401, "this needs rv ui's token");
    if (!reading && proof === "cookie" && !sameOrigin(c.req.header("origin"), c.req.header("host"))) {
      return refuse(c, 403, "an action must come from rv ui's own page");
    }
    if (proof === "query") {
      // The token moves from the URL (history, screenshots) into a cookie only this host's requests carry. Lax, not
      // Strict: the printed URL opened from a link elsewhere (a chat, a notebook) is a cross-site navigation, and
      // Strict withholds the cookie from the redirect that follows it (401). Lax sends it on top-level GETs only;
      // an action is a POST, which also needs the page's own Origin.
      setCookie(c, cookieName(options.port()), options.token, { httpOnly: true, sameSite: "Lax", path: "/" });
      if (c.req.path === "/") return c.redirect("/", 303);
    }
    await next();
  });

  app.get("/", (c) => {
    c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    return c.html(options.assets.html);
  });
  app.get("/assets/app.js", (c) => c.body(options.assets.script, 200, { "Content-Type": "text/javascript" }));
  app.get("/assets/app.css", (c) => c.body(options.assets.style, 200, { "Content-Type": "text/css" }));

  app.get("/api/snapshot", async (c) => c.json(await options.feed.snapshot()));
  app.get("/api/log", async (c) => c.json(await options.feed.log(required(c, "task"), streamOf(c))));
  app.get("/api/tasks/:id", async (c) => {
    const task = await taskDetail(options.feed, c.req.param("id"));
    return c.json({ v: WEB_VERSION, task });
  });
  for (const action of ["cancel", "requeue"] as const satisfies TaskAction[]) {
    app.post(`/api/tasks/:id/${action}`, async (c) => c.json(await actOnTask(options.feed, c.req.param("id"), action)));
  }
  app.get("/api/leases/:place/:id", async (c) =>
    c.json(await showLeaseAt(options.feed, c.req.param("place"), c.req.param("id"))),
  );
  app.get("/api/leases/:place/:id/gpus", async (c) => c.json(await leaseGpus(c.req.param("place"), c.req.param("id"))));
  app.post("/api/leases/:place/:id/release", async (c) =>
    c.json(await releaseLease(options.feed, c.req.param("place"), c.req.param("id"), await bodyOf(c))),
  );
  app.post("/api/leases/:place/:id/submit", async (c) => {
    const secretsFor = options.secretsFor ?? (async () => ({}));
    const { place, id } = c.req.param();
    return c.json(await submitToLease(options.feed, place, id, await bodyOf(c), secretsFor));
  });
  app.get("/api/cluster", async (c) => c.json(await readClusters(options.feed)));
  app.get("/api/events", (c) => events(c, options));

  app.notFound((c) => refuse(c, 404, `no such page: ${c.req.path}`));
  app.onError((error, c) => {
    const rv = asRvError(error, "this is a bug in rv ui");
    return c.json({ v: WEB_VERSION, error: rv.toRecord() }, statusOf(rv));
  });
  return app;
}

/** Nothing but this origin's own script and style: no inline script, no frame, no form posted elsewhere. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `snapshot` events on every refresh, and `log` events with the tail of the log the page follows
 * (`?log=TASK&stream=stdout|stderr`), until the page goes or the server shuts down.
 */
function events(c: Context, options: WebAppOptions): Response {
  const taskId = c.req.query("log");
  const log = taskId ? { taskId, stream: streamOf(c) } : null;
  const sweep = c.req.query("sweep") || null;
  return streamSSE(c, async (stream) => {
    const sender = new EventSender((event, data) => stream.writeSSE({ event, data }));
    const ended = new Promise<void>((resolve) => {
      const unwatch = options.feed.watch({
        log,
        sweep,
        onSnapshot: (json) => sender.send("snapshot", json),
        onLog: (json) => sender.send("log", json),
        onSweep: (json) => sender.send("sweep", json),
      });
      const end = () => {
        unwatch();
        // Every stream that ended leaves no listener behind (Node warns past 10 on one signal).
        options.closing.removeEventListener("abort", end);
        resolve();
      };
      stream.onAbort(end);
      if (options.closing.aborted) end();
      else options.closing.addEventListener("abort", end, { once: true });
    });
    await ended;
  });
}

function refuse(c: Context, status: 401 | 403 | 404, message: string): Response {
  const hint = status === 401 ? "open the URL rv ui printed (it holds the token)" : null;
  return c.json({ v: WEB_VERSION, error: { code: status === 404 ? "not_found" : "usage", message, hint } }, status);
}

/** An action's JSON body; none at all is `{}`. */
async function bodyOf(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RvError("usage", "the body is not JSON");
  }
}

function required(c: Context, name: string): string {
  const value = c.req.query(name);
  if (!value) throw new RvError("usage", `?${name}= is missing`);
  return value;
}

function streamOf(c: Context): LogStream {
  const stream = c.req.query("stream") ?? "stdout";
  if (stream !== "stdout" && stream !== "stderr") throw new RvError("usage", "?stream= is stdout or stderr");
  return stream;
}

function statusOf(error: RvError): 400 | 404 | 500 | 502 {
  if (error.code === "usage") return 400;
  if (error.code === "not_found" || error.code === "ambiguous") return 404;
  if (error.code === "unreachable" || error.code === "cluster") return 502;
  return 500;
}
