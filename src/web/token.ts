import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 32 random bytes, base64url: what every request must carry (Jupyter's way: a URL to open, then a cookie). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Compares in constant time (of the digests: the lengths of the two may differ). */
export function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The cookie's name carries the port: two `rv ui` on one host share its cookies, not their tokens. */
export function cookieName(port: number): string {
  return `rv-ui-${port}`;
}

/** How a request proved it holds the token; a cookie is sent by the browser on its own, so actions check more. */
export type Proof = "header" | "cookie" | "query";

/** The token a request carries: `Authorization: Bearer T`, the page's cookie, or `?token=T` (the printed URL). */
export function proofOf(
  request: { header(name: string): string | undefined; query(name: string): string | undefined },
  cookie: string | undefined,
  token: string,
): Proof | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.header("authorization") ?? "")?.[1];
  if (sameToken(bearer, token)) return "header";
  if (sameToken(cookie, token)) return "cookie";
  if (sameToken(request.query("token"), token)) return "query";
  return null;
}

/** An address of this machine only: what `rv ui` listens on unless --host says otherwise. */
export function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/.test(host);
}

/**
 * Whether a request's Host names this server, when it listens on loopback: 127.0.0.1, localhost, [::1] or the
 * address listened on, with its port. A page of another site that makes its name resolve to 127.0.0.1 (DNS
 * rebinding) sends its own name: it is refused before anything else is looked at.
 */
export function isOwnHost(hostHeader: string, listenHost: string, port: number): boolean {
  try {
    const url = new URL(`http://${hostHeader}`);
    const names = ["127.0.0.1", "localhost", "[::1]", listenHost.includes(":") ? `[${listenHost}]` : listenHost];
    return names.includes(url.hostname) && (url.port || "80") === String(port);
  } catch {
    return false;
  }
}

/**
 * An action may be asked by the page itself only: a browser attaches the cookie to a form another site posts here,
 * but that post's Origin is the other site's. Checked when the token came as a cookie; a script that sends the
 * token in a header knows it, and no browser sends such a header across sites without asking this server first.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    const url = new URL(origin);
    return url.protocol === "http:" && url.host === host;
  } catch {
    return false;
  }
}
