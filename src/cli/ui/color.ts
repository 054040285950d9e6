import chalk, { supportsColor, supportsColorStderr } from "chalk";

/**
 * Ink paints with chalk, which judges colour by stdout and ignores NO_COLOR; live views draw on stderr, so
 * their colour follows stderr's terminal, and NO_COLOR turns it off.
 */
export function paintForStderr(env: NodeJS.ProcessEnv): void {
  chalk.level = env.NO_COLOR ? 0 : supportsColorStderr ? supportsColorStderr.level : 0;
}

/** The TUI draws on stdout: chalk's own judgement of it, unless NO_COLOR says no colour at all. */
export function paintForStdout(env: NodeJS.ProcessEnv): void {
  chalk.level = env.NO_COLOR ? 0 : supportsColor ? supportsColor.level : 0;
}
