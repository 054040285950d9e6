import { execFileSync } from "node:child_process";
import { waitFor } from "./wait.ts";

/**
 * A real terminal for a test: a private tmux server (nobody else's sessions are touched), one session of the
 * given size running `command`, keys sent as a person types them, and the screen read back.
 */
export function tmuxTerminal(name: string, size = { columns: 80, rows: 24 }) {
  const server = `${name}-${process.pid}`;
  const tmux = (...args: string[]) =>
    execFileSync("tmux", ["-L", server, "-f", "/dev/null", ...args], { encoding: "utf8" });
  return {
    /** Runs `command` (a shell line), then prints its exit status, which `exitStatus` reads back. */
    start(command: string): void {
      const line = `${command}; echo "[exit $?]"; sleep 600`;
      tmux("new-session", "-d", "-s", name, "-x", String(size.columns), "-y", String(size.rows), line);
    },
    /** Keys by tmux's names (`Enter`, `Escape`, `j`). */
    keys(...keys: string[]): void {
      tmux("send-keys", "-t", name, ...keys);
    },
    /** Text typed as it is. */
    type(text: string): void {
      tmux("send-keys", "-t", name, "-l", text);
    },
    screen(): string {
      return tmux("capture-pane", "-p", "-t", name);
    },
    /** The screen once `check` holds for it. */
    async until(what: string, check: (screen: string) => boolean, timeoutMs = 15_000): Promise<string> {
      try {
        return await waitFor(
          () => {
            const screen = tmux("capture-pane", "-p", "-t", name);
            return check(screen) ? screen : undefined;
          },
          { what: `the terminal to show ${what}`, timeoutMs, intervalMs: 200 },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; the terminal showed:\n${tmux("capture-pane", "-p", "-t", name)}`);
      }
    },
    resize(columns: number, rows: number): void {
      tmux("resize-window", "-t", name, "-x", String(columns), "-y", String(rows));
    },
    /** The pid of the command the session's shell runs (its only child while it runs). */
    commandPid(): number {
      const shell = tmux("display-message", "-p", "-t", name, "#{pane_pid}").trim();
      return Number(execFileSync("pgrep", ["-P", shell], { encoding: "utf8" }).trim().split("\n")[0]);
    },
    /** Whether the terminal shows its alternate screen (full-screen programs draw there). */
    alternateScreen(): boolean {
      return tmux("display-message", "-p", "-t", name, "#{alternate_on}").trim() === "1";
    },
    cursorShown(): boolean {
      return tmux("display-message", "-p", "-t", name, "#{cursor_flag}").trim() === "1";
    },
    /** The exit status of the command once it has ended, as its shell printed it; "" while it runs. */
    exitStatus(): string {
      return /\[exit (\d+)\]/.exec(tmux("capture-pane", "-p", "-t", name))?.[1] ?? "";
    },
    kill(): void {
      try {
        tmux("kill-server");
      } catch {
        // The server had ended with its last session.
      }
    },
  };
}
