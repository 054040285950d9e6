/** The variables that put Ink in its CI mode (the is-in-ci package). */
const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION"] as const;

/**
 * Loads Ink for a terminal, then `load` (a view that imports Ink). With CI set, Ink draws nothing until it
 * exits, so a live view or the TUI stays blank on a real terminal (seen in CI, where the tmux tests run with CI
 * set). Ink reads that once, as it loads, so it is loaded here with those variables hidden; they are restored
 * at once, for the processes rv starts.
 */
export async function loadForTerminal<T>(load: () => Promise<T>): Promise<T> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    await import("ink");
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
  return load();
}
