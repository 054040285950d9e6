import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { openInBrowser } from "../../src/web/open.ts";
import { waitFor } from "../helpers/wait.ts";

// rv ui --open: the browser gets a private file that redirects to the URL, never the token in its argv, and it
// is left running (detached), not killed after a while.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("rv ui --open", () => {
  const url = "http://127.0.0.1:4321/?token=secret-token";

  test("the browser is given a 0600 file in rv's directory that redirects to the URL; its argv holds no token", async () => {
    const root = mkdtempSync(join(tmpdir(), "rv-open-"));
    dirs.push(root);
    // A "browser" that writes down its arguments, then keeps running as a browser does.
    const browser = join(root, "browser.sh");
    const argv = join(root, "argv");
    writeFileSync(browser, `#!/bin/sh\necho "$@" > ${argv}\nexec sleep 1\n`);
    chmodSync(browser, 0o755);
    const errors: Error[] = [];
    const forget = openInBrowser({ opener: browser, root, url, port: 4321, onError: (e) => errors.push(e) });
    const given = (await waitFor(() => readFileSync(argv, "utf8").trim() || null, { what: "the browser" })).trim();
    expect(given).not.toContain("secret-token");
    expect(statSync(given).mode & 0o777).toBe(0o600);
    expect(readFileSync(given, "utf8")).toContain(`content="0;url=${url}"`);
    expect(errors).toEqual([]);
    forget();
    expect(() => statSync(given)).toThrow();
  });

  test("an opener that cannot start is reported", async () => {
    const root = mkdtempSync(join(tmpdir(), "rv-open-"));
    dirs.push(root);
    const errors: Error[] = [];
    openInBrowser({ opener: join(root, "no-browser"), root, url, port: 4321, onError: (e) => errors.push(e) });
    await waitFor(() => errors.length > 0, { what: "the spawn error" });
    expect((errors[0] as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});
