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
