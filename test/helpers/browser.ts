import { existsSync } from "node:fs";
import { execa } from "execa";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium, which playwright-core drives (no browser download: the dev cluster's way, apt). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Chromium, installed when missing and this is root (as .ci/run does); otherwise the tests fail saying what to
 * install. They never skip: a browser test that did not run is no proof.
 */
export async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing: install it (sudo apt-get install -y chromium) to run the browser tests`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await execa("apt-get", ["update", "-qq"], { env, stdin: "ignore" });
  await execa("apt-get", ["install", "-y", "-qq", "chromium"], { env, stdin: "ignore" });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium left no ${CHROMIUM}`);
}

/** A headless chromium (no sandbox: tests may run as root, which chromium's sandbox refuses). */
export async function launchChromium(): Promise<Browser> {
  await ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}
