import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { type Browser, chromium, type Page } from "playwright-core";
import { WebStartSchema } from "../../src/web/schema.ts";
import { need } from "./need.ts";
import { RV_BIN } from "./rv.ts";
import { waitFor } from "./wait.ts";

/** Debian's chromium, which playwright-core drives (no browser download: the dev cluster's way, apt). */
export const CHROMIUM = "/usr/bin/chromium";

/** Chromium, installed when missing (need). */
export async function ensureChromium(): Promise<void> {
  await need("chromium");
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is installed, but not as ${CHROMIUM}`);
}

/** A headless chromium (no sandbox: tests may run as root, which chromium's sandbox refuses). */
export async function launchChromium(): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** Where docs/ui.md's screenshots live. */
const SHOTS = join(import.meta.dirname, "..", "..", "docs", "ui");

/**
 * Saves the page as docs/ui/NAME.png, only when RV_UI_SCREENSHOTS=1 asks: an ordinary test run leaves the tree as
 * it found it, and the pictures change only when someone means to refresh them (docs/ui.md says how).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.RV_UI_SCREENSHOTS !== "1") return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export type UiServer = ResultPromise<{ stdin: "ignore"; reject: false }>;

/**
 * `rv ui --json` on RV_HOME `root`: it prints one line once it listens, and keeps serving. reject: false: a server
 * killed by afterAll (after a failed test) must not become an unhandled rejection.
 */
export async function startUi(
  root: string,
): Promise<{ server: UiServer; start: ReturnType<typeof WebStartSchema.parse> }> {
  const server = execa(RV_BIN, ["ui", "--json"], {
    env: { RV_HOME: root, NO_COLOR: "1" },
    stdin: "ignore",
    reject: false,
  });
  let out = "";
  server.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const line = await waitFor(() => (out.includes("\n") ? out.split("\n")[0] : null), { what: "rv ui's first line" });
  return { server, start: WebStartSchema.parse(JSON.parse(line)) };
}
