import type { FileRemote } from "../../src/remote/index.ts";

/** Sends `otherFile` whatever upload asks to send: the far side must notice by checksum. */
export function corruptingRemote(inner: FileRemote, otherFile: string): FileRemote {
  return {
    where: inner.where,
    run: (commands) => inner.run(commands),
    runWithStdinFile: (argv) => inner.runWithStdinFile(argv, otherFile),
    stream: (argv, stdin, sink) => inner.stream(argv, stdin, sink),
  };
}
