import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Opens `url` in a browser without putting its token where others can read it: the browser is given a file (0600,
 * in rv's own private directory) that redirects to the URL, as Jupyter does, not the URL itself, which would sit in
 * its argv for every user of the machine to see. The browser is left running on its own (detached): only a failure
 * to start it is reported. Returns a function that removes the file.
 */
export function openInBrowser(options: {
  opener: string;
  root: string;
  url: string;
  port: number;
  onError: (error: Error) => void;
}): () => void {
  const dir = join(options.root, "ui");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `open-${options.port}.html`);
  const href = escapeAttribute(options.url);
  const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>rv ui</title><a href="${href}">rv ui</a>\n`;
  writeFileSync(file, html, { mode: 0o600 });
  try {
    const child = spawn(options.opener, [file], { stdio: "ignore", detached: true });
    child.once("error", options.onError);
    child.unref();
  } catch (error) {
    options.onError(error as Error);
  }
  return () => rmSync(file, { force: true });
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
