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
    start(command: string): void {
      tmux("new-session", "-d", "-s", name, "-x", String(size.columns), "-y", String(size.rows), command);
      tmux("set-option", "-t", name, "remain-on-exit", "on");
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
    /** The exit status of the command once it has ended; "" while it runs. */
    exitStatus(): string {
      return tmux("display-message", "-p", "-t", name, "#{?pane_dead,#{pane_dead_status},}").trim();
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
