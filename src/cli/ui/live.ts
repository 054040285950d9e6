import type { Instance } from "ink";
import type { FunctionComponent } from "react";
import { loadForTerminal } from "./ink.ts";

export interface LiveView<State> {
  /** False when nothing is drawn (JSON, or stderr not a terminal): the caller prints plain lines instead. */
  drawn: boolean;
  update(state: State): void;
  /** Draws the final state, if given, leaves it on screen and hands the terminal back. Safe in a finally. */
  done(finalState?: State): void;
}

export interface LiveTarget {
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** Only tests draw elsewhere. */
  stderr?: NodeJS.WriteStream;
}

/** What showLive gives the view besides the caller's state: the terminal's columns, for its tables to fit. */
export interface LiveWidth {
  width: number;
}

/** Narrower than this (or of unknown width: a pty no one sized), a table would wrap into noise: plain lines instead. */
const MIN_COLUMNS = 40;

const NOT_DRAWN: LiveView<never> = { drawn: false, update: () => {}, done: () => {} };

/**
 * A view that changes as a command waits (a race, a queue) drawn on stderr when stderr is a terminal at least
 * MIN_COLUMNS wide and the output is not JSON; otherwise a view that draws nothing, and the caller prints plain lines. Ink and React are
 * loaded here and only when drawing, so a command that prints text never pays their start-up.
 */
export async function showLive<State extends object>(
  loadView: () => Promise<FunctionComponent<State & LiveWidth>>,
  { json, env, stderr = process.stderr }: LiveTarget,
): Promise<LiveView<State>> {
  if (json || !stderr.isTTY || (stderr.columns ?? 0) < MIN_COLUMNS) return NOT_DRAWN;
  const [{ render }, { createElement }, { paintForStderr }, View] = await loadForTerminal(() =>
    Promise.all([import("ink"), import("react"), import("./color.ts"), loadView()]),
  );
  paintForStderr(env);
  let ink: Instance | undefined;
  let finished = false;
  const draw = (state: State) => {
    // Read at each draw, so the next one fits a terminal resized in between.
    const element = createElement(View, { ...state, width: stderr.columns });
    if (ink) ink.rerender(element);
    // Input stays with the terminal, so Ctrl-C is a plain SIGINT, on which Ink unmounts and shows the cursor.
    else ink = render(element, { stdout: stderr, stderr, patchConsole: false, exitOnCtrlC: false });
  };
  const leave = () => {
    finished = true;
    // Never followed by waitUntilExit(): in a bun-compiled binary that pair spins for ever.
    ink?.unmount();
  };
  // An error that ends the command before done() must not leave the cursor hidden. Ink's own exit hook misses
  // it in a bun-compiled binary, where "exit" is emitted without passing through process.emit.
  process.once("exit", leave);
  return {
    drawn: true,
    update: (state) => {
      if (!finished) draw(state);
    },
    done: (finalState) => {
      if (finished) return;
      if (finalState) draw(finalState);
      process.off("exit", leave);
      leave();
    },
  };
}
