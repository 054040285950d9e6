import type { Place } from "../ops/index.ts";
import { webApp } from "./app.ts";
import { pageAssets } from "./assets.ts";
import { type FeedSource, LiveFeed } from "./feed.ts";
import { listen } from "./serve.ts";

export interface WebServer {
  port: number;
  /** The URL to open: it holds the token, which the page then keeps in a cookie. */
  url: string;
  close(): Promise<void>;
}

/** `rv ui`'s server: the page and API over the places' leases, until `close`. */
export async function startWebServer(options: {
  sources: FeedSource[];
  host: string;
  port: number;
  token: string;
  secretsFor?: (place: Place) => Promise<Record<string, string>>;
}): Promise<WebServer> {
  const feed = new LiveFeed(options.sources);
  const closing = new AbortController();
  let port = options.port;
  const app = webApp({
    token: options.token,
    host: options.host,
    port: () => port,
    feed,
    assets: pageAssets(),
    closing: closing.signal,
    ...(options.secretsFor && { secretsFor: options.secretsFor }),
  });
  const listening = await listen(app.fetch, options.host, options.port);
  port = listening.port;
  return {
    port,
    url: `http://${hostInUrl(options.host)}:${port}/?token=${options.token}`,
    async close() {
      closing.abort();
      feed.close();
      await listening.close();
    },
  };
}

/** An IPv6 address is bracketed in a URL; 0.0.0.0 and :: are where to listen, not where to go. */
function hostInUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
