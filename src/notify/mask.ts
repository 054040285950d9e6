/**
 * A webhook URL often is the secret (Slack's path, an ntfy topic, a `?token=`): only its scheme and host are ever
 * printed or logged, and any text that might repeat it (an error from fetch) is redacted first.
 */
export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "(not a URL)";
  }
  const more = url.pathname.length > 1 || url.search !== "" || url.hash !== "" || url.username !== "";
  return `${url.protocol}//${url.host}${more ? "/…" : ""}`;
}

/** The parts of a URL that may be secret: the whole, its path and query, and each long piece. */
export function urlSecrets(text: string): string[] {
  const secrets = new Set<string>([text]);
  try {
    const url = new URL(text);
    const pieces = [
      url.href,
      `${url.pathname}${url.search}${url.hash}`,
      url.pathname,
      url.search,
      url.username,
      url.password,
      decodeURIComponent(url.password),
      ...url.pathname.split("/"),
      ...[...url.searchParams.values()],
    ];
    // Short pieces ("hook", "v1") are not secrets, and redacting them would garble every message.
    for (const piece of pieces) if (piece.length >= 6) secrets.add(piece);
  } catch {
    // Not a URL: the text itself is all there is to hide.
  }
  return [...secrets];
}

/**
 * `text` with every secret replaced by `…`, longer ones first: a shorter secret inside a longer one must not leave
 * the rest of the longer one showing.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of longestFirst) if (secret !== "") out = out.split(secret).join("…");
  return out;
}

/**
 * A command line as `rv notify show` prints it: its program only. The rest may hold a token (`curl -H
 * 'Authorization: ...'`), and the person who set it can read it in the 0600 settings file.
 */
export function maskCommand(command: string): string {
  const words = command.trim().split(/\s+/);
  return words.length > 1 ? `${words[0]} …` : (words[0] ?? "");
}
