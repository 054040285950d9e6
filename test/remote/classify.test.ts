import { describe, expect, it } from "vitest";
import { classifySshFailure } from "../../src/remote/index.ts";

const host = "mycluster";

/** stderr as OpenSSH 9 prints it (captured from real runs against the dev cluster, or from field reports). */
const hostKeyChanged = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
The fingerprint for the ED25519 key sent by the remote host is
SHA256:u4X+h6NYmmBgeJAPUIxULDgy/VU9ya8o5zfzM+ErKjg.
Please contact your system administrator.
Add correct host key in /home/me/.ssh/known_hosts to get rid of this message.
Offending ED25519 key in /home/me/.ssh/known_hosts:1
  remove with:
  ssh-keygen -f "/home/me/.ssh/known_hosts" -R "[login.example.org]:2222"
Host key for [login.example.org]:2222 has changed and you have requested strict checking.
Host key verification failed.
`;

describe("classifySshFailure", () => {
  it.each([
    "ssh: Could not resolve hostname login.example.org: Name or service not known",
    "ssh: Could not resolve hostname login.example.org: nodename nor servname provided, or not known",
    "ssh: connect to host 10.0.0.1 port 22: Connection timed out",
    "ssh: connect to host 10.1.2.3 port 22: No route to host",
    "ssh: connect to host 127.0.0.1 port 1: Connection refused",
    "ssh: connect to host 10.0.0.1 port 22: Network is unreachable",
    "Connection timed out during banner exchange\nConnection to 10.255.255.1 port 22 timed out",
    "kex_exchange_identification: read: Connection reset by peer\nConnection reset by 10.0.0.1 port 22",
  ])("network down: %s", (stderr) => {
    const error = classifySshFailure(255, `${stderr}\r\n`, { host });
    expect(error.code).toBe("unreachable");
    expect(error.message).toContain(host);
    expect(error.message).toContain(stderr.split("\n").at(-1));
    expect(error.hint).toMatch(/VPN.*rv doctor/);
  });

  it.each([
    "root@127.0.0.1: Permission denied (publickey).",
    "alice@login.example.org: Permission denied (publickey,gssapi-keyex,gssapi-with-mic).",
  ])("key refused: %s", (stderr) => {
    const error = classifySshFailure(255, stderr, { host });
    expect(error.code).toBe("unreachable");
    expect(error.message).toMatch(/refused your ssh key/);
    expect(error.hint).toContain(`ssh-copy-id ${host}`);
  });

  it("host key changed: the hint is ssh's own removal command", () => {
    const error = classifySshFailure(255, hostKeyChanged, { host });
    expect(error.code).toBe("unreachable");
    expect(error.message).toMatch(/host key of mycluster has changed/);
    expect(error.hint).toContain(`ssh-keygen -f "/home/me/.ssh/known_hosts" -R "[login.example.org]:2222"`);
  });

  it("host key changed without ssh's suggestion falls back to ssh-keygen -R host", () => {
    const error = classifySshFailure(255, "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!", { host });
    expect(error.hint).toContain("ssh-keygen -R mycluster");
  });

  it("host key unknown", () => {
    const stderr =
      "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n";
    const error = classifySshFailure(255, stderr, { host });
    expect(error.message).toMatch(/could not be verified/);
    expect(error.hint).toMatch(/ssh mycluster once/);
  });

  it.each([
    ["Connection to login.example.org closed by remote host.", 255],
    ["Connection closed by 10.0.0.1 port 22", 255],
    ["client_loop: send disconnect: Broken pipe", 255],
    ["mux_client_read_packet: read header failed: Broken pipe", 255],
    ["Control socket connect(/home/me/.rv/ssh/cm-0123): Connection refused", 255],
    ["Timeout, server login.example.org not responding.", 255],
    ["packet_write_wait: Connection to 10.0.0.1 port 22: Broken pipe", 255],
  ])("connection dropped: %s", (stderr, exitCode) => {
    const error = classifySshFailure(exitCode, stderr, { host });
    expect(error.code).toBe("unreachable");
    expect(error.message).toMatch(/connection to mycluster dropped mid-command.*no results were kept/);
  });

  it("a truncated batch with nothing from ssh is a dropped connection", () => {
    const error = classifySshFailure(255, "", { host }, "output ended inside the output of command 1");
    expect(error.code).toBe("unreachable");
    expect(error.message).toMatch(/dropped mid-command \(output ended inside the output of command 1\)/);
  });

  it.each([
    ["System maintenance until 18:00, logins are disabled.\n", 254],
    ["This account is currently not available.\n", 1],
    ["The system is going down for maintenance.\nConnection closed by 10.0.0.1 port 22\n", 255],
  ])("cluster in maintenance: %s", (stderr, exitCode) => {
    const error = classifySshFailure(exitCode, stderr, { host });
    expect(error.code).toBe("cluster");
    expect(error.exitCode).toBe(8);
    expect(error.message).toMatch(/mycluster/);
    expect(error.hint).toMatch(/wait/);
  });

  it("a banner that mentions maintenance does not hide a refused key", () => {
    const stderr = "Scheduled maintenance: first Tuesday of the month.\nbob@login: Permission denied (publickey).\n";
    expect(classifySshFailure(255, stderr, { host }).message).toMatch(/refused your ssh key/);
  });

  it("a silent exit 255 (the mux master went away) is a dropped connection", () => {
    expect(classifySshFailure(255, "", { host }).message).toMatch(
      /dropped mid-command \(ssh exited 255 without a message\)/,
    );
  });

  it("an unknown ssh failure keeps ssh's last words", () => {
    const error = classifySshFailure(255, "something new went wrong\n", { host });
    expect(error.code).toBe("unreachable");
    expect(error.message).toBe("ssh to mycluster failed: something new went wrong");
  });

  it("a remote shell that stopped before the batch started is the cluster's problem", () => {
    const error = classifySshFailure(125, "rv-batch: cannot create a temporary directory\n", { host });
    expect(error.code).toBe("cluster");
    expect(error.message).toMatch(/exit 125.*cannot create a temporary directory/);
  });
});
