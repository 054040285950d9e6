import { describe, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import { listen, listenError } from "../../src/web/serve.ts";

// Where rv ui cannot listen is the person's to change: each such failure says what to pick instead.
const fail = (code: string) => Object.assign(new Error(`${code}: listen`), { code });

describe("rv ui cannot listen", () => {
  test("a port below 1024 as a user, a host that does not resolve or that cannot be listened on: usage, with a hint", () => {
    const denied = listenError(fail("EACCES"), "127.0.0.1", 80);
    expect(denied).toBeInstanceOf(RvError);
    expect(denied).toMatchObject({
      code: "usage",
      message: "port 80 on 127.0.0.1 is not yours to listen on (below 1024 needs root)",
    });
    expect(denied?.hint).toMatch(/--port/);
    for (const code of ["ENOTFOUND", "EAI_AGAIN", "EINVAL"]) {
      const bad = listenError(fail(code), "no-such-host.invalid", 0);
      expect(bad, code).toMatchObject({
        code: "usage",
        message: "--host no-such-host.invalid is not a name or address rv ui can listen on",
      });
      expect(bad?.hint, code).toMatch(/--host 127\.0\.0\.1/);
    }
    expect(listenError(fail("EMFILE"), "127.0.0.1", 0)).toBeNull();
  });

  test("a --host that does not resolve is said so (Node's server)", async () => {
    const answer = listen(() => new Response(""), "no-such-host.invalid", 0);
    await expect(answer).rejects.toMatchObject({
      code: "usage",
      message: expect.stringMatching(/--host no-such-host/),
    });
  });
});
