/**
 * Where a command runs: this machine (localRemote) or a login node over ssh (sshRemote), behind one interface. Other
 * modules import this file, except where a command's start-up must evaluate only what it runs (docs/benchmarks.md
 * (h)).
 */

export { classifySshFailure } from "./classify.ts";
export { freeLocalPort, type PortForward, relayTunnel, sshTunnel, type Tunnel } from "./forward.ts";
export { localRemote } from "./local.ts";
export { shJoin, shQuote } from "./quote.ts";
export { type SshOptions, sshRemote } from "./ssh.ts";
export {
  removeSshHostBlock,
  renderSshHostBlock,
  type SshHost,
  sshLoginOf,
  writeSshHostBlock,
} from "./ssh-config.ts";
export type { CommandResult, FileRemote, OutputSink, Remote, RemoteCommand } from "./types.ts";
export { type UploadOptions, upload } from "./upload.ts";
