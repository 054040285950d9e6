import { render, useInput, useStdout } from "ink";
import { useEffect, useRef, useState } from "react";
import { RvError } from "../../errors.ts";
import { jitAsUsual } from "../../jit.ts";
import { cancelOp, type Place, requeueOp, silentSink, submitOp, tuiOp } from "../../ops/index.ts";
import type { TuiAsk, TuiSnapshot } from "../../ops/tui-snapshot.ts";
import type { Context } from "../context.ts";
import { paintForStdout } from "../ui/color.ts";
import type { TaskAction } from "./action.ts";
import { parseAddLine } from "./add-line.ts";
import { TuiApp } from "./app.tsx";
import { type Effect, keysOf, reduceKey } from "./keys.ts";
import { INITIAL_STATE, selectedTask, type TuiState } from "./state.ts";
import type { Connection } from "./view.ts";

/** How much of a log one refresh reads: a screen of lines many times over. */
const LOG_TAIL_BYTES = 64 * 1024;

/** Where leases are read from: this machine every second, the cluster every two (one round trip each). */
interface Source {
  connection: Pick<Connection, "kind" | "where">;
  everyMs: number;
  read(ask: TuiAsk): Promise<TuiSnapshot>;
  act(target: { lease: string; taskId: string; name: string | null; action: TaskAction }): Promise<string>;
  add(lease: string, line: string): Promise<string>;
}

/**
 * A place's leases, through the same ops as the commands: tui to read, cancel and requeue to act, submit to add.
 * Their notes are dropped: a line written to the terminal under the view would tear it.
 */
function placeSource(place: Place, connection: Source["connection"], everyMs: number): Source {
  const quiet = { sink: silentSink };
  return {
    connection,
    everyMs,
    read: (ask) => place.call(tuiOp, ask, quiet),
    act: async ({ lease, taskId, name, action }) => {
      const select = { refs: [taskId], lease };
      const [task] =
        action === "cancel"
          ? (await place.call(cancelOp, { select }, quiet)).tasks
          : (await place.call(requeueOp, { select }, quiet)).tasks;
      return `${action} ${taskId}${name ? ` (${name})` : ""}: ${task?.outcome ?? "not found"}`;
    },
    add: async (lease, line) => {
      const result = await place.call(submitOp, { lease, specs: [parseAddLine(line)] }, quiet);
      return `added ${result.tasks.map((t) => t.id).join(", ")} to ${lease}`;
    },
  };
}

function localSource(ctx: Context): Source {
  return placeSource(ctx.local, { kind: "local", where: "this machine" }, 1000);
}

function clusterSource(ctx: Context): Source | null {
  const host = ctx.config.cluster?.host;
  return ctx.cluster && host ? placeSource(ctx.cluster, { kind: "ssh", where: host }, 2000) : null;
}

interface Feed {
  snapshot: TuiSnapshot | null;
  connection: Connection;
}

/**
 * Refreshes one source on its own clock, never two reads at once: a slow or broken connection shows in its
 * `connection` (in flight since, last success, the error) and never holds up the keys or the other source.
 */
function useFeed(source: Source | null, askRef: { current: () => TuiAsk }): Feed | null {
  const [feed, setFeed] = useState<Feed | null>(
    source && {
      snapshot: null,
      connection: { ...source.connection, lastOkMs: null, inFlightSinceMs: null, error: null },
    },
  );
  useEffect(() => {
    if (!source) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = (change: (f: Feed) => Feed) => {
      if (!stopped) setFeed((f) => (f ? change(f) : f));
    };
    const tick = async () => {
      const started = Date.now();
      update((f) => ({ ...f, connection: { ...f.connection, inFlightSinceMs: started } }));
      try {
        const snapshot = await source.read(askRef.current());
        update((f) => ({
          snapshot,
          connection: { ...f.connection, lastOkMs: Date.now(), inFlightSinceMs: null, error: null },
        }));
      } catch (error) {
        const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
        update((f) => ({ ...f, connection: { ...f.connection, inFlightSinceMs: null, error: message } }));
      }
      if (!stopped) timer = setTimeout(tick, Math.max(0, source.everyMs - (Date.now() - started)));
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [source, askRef]);
  return feed;
}

/** Both feeds as one snapshot; the connection shown is the cluster's when there is one. */
function merged(local: Feed, cluster: Feed | null): { snapshot: TuiSnapshot | null; connection: Connection } {
  const ready = [local, cluster].flatMap((f) => (f?.snapshot ? [f.snapshot] : []));
  const snapshot =
    ready.length === 0
      ? null
      : {
          at: ready[0]?.at ?? "",
          leases: ready.flatMap((s) => s.leases),
          tasks: ready.flatMap((s) => s.tasks),
          logs: ready.flatMap((s) => s.logs),
        };
  return { snapshot, connection: (cluster ?? local).connection };
}

interface TuiProps {
  local: Source;
  cluster: Source | null;
  /** `--tag`: the task table shows only tasks with these tags. */
  tags: string[];
  onQuit: () => void;
}

function Tui({ local, cluster, tags, onQuit }: TuiProps) {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [state, setState] = useState<TuiState>({ ...INITIAL_STATE, tags });
  const [nowMs, setNowMs] = useState(Date.now());
  const stateRef = useRef(state);
  const snapshotRef = useRef<TuiSnapshot | null>(null);
  const localLeases = useRef(new Set<string>());
  // A lease is the cluster's unless this machine listed it: a lease submitted a moment ago may be in neither yet.
  const owner = (lease: string) => (cluster && !localLeases.current.has(lease) ? cluster : local);
  const localAsk = useRef(() => askOf(stateRef.current, snapshotRef.current, (lease) => owner(lease) === local));
  const clusterAsk = useRef(() => askOf(stateRef.current, snapshotRef.current, (lease) => owner(lease) === cluster));
  const localFeed = useFeed(local, localAsk) as Feed;
  const clusterFeed = useFeed(cluster, clusterAsk);
  localLeases.current = new Set(localFeed.snapshot?.leases.map((l) => l.id) ?? []);
  const { snapshot, connection } = merged(localFeed, clusterFeed);
  snapshotRef.current = snapshot;

  useEffect(() => {
    const onResize = () => setSize({ width: stdout.columns || 80, height: stdout.rows || 24 });
    stdout.on("resize", onResize);
    const clock = setInterval(() => setNowMs(Date.now()), 1000);
    return () => {
      stdout.off("resize", onResize);
      clearInterval(clock);
    };
  }, [stdout]);

  const perform = async (effect: Exclude<Effect, { kind: "quit" }>) => {
    const source = owner(effect.kind === "add" ? effect.lease : effect.task.lease);
    try {
      const message =
        effect.kind === "add"
          ? await source.add(effect.lease, effect.command)
          : await source.act({
              lease: effect.task.lease,
              taskId: effect.task.id,
              name: effect.task.name,
              action: effect.action,
            });
      setState((s) => ({ ...s, message }));
    } catch (error) {
      const text = error instanceof RvError ? `${error.message}${error.hint ? ` (${error.hint})` : ""}` : String(error);
      setState((s) => ({ ...s, message: `error: ${text}` }));
    }
  };

  useInput((input, key) => {
    if (key.ctrl && input === "c") return onQuit();
    for (const one of keysOf(input, key)) {
      const step = reduceKey(stateRef.current, one, snapshotRef.current);
      stateRef.current = step.state;
      setState(step.state);
      if (step.effect?.kind === "quit") return onQuit();
      if (step.effect) void perform(step.effect);
    }
  });

  return (
    <TuiApp
      snapshot={snapshot}
      state={state}
      width={size.width}
      height={size.height}
      nowMs={nowMs}
      connection={connection}
    />
  );
}

/** What one source is asked besides its leases: the shown log, when its lease is the source's. */
function askOf(state: TuiState, snapshot: TuiSnapshot | null, mine: (lease: string) => boolean): TuiAsk {
  const task = state.pane === "logs" ? selectedTask(state, snapshot) : undefined;
  const logs =
    task && mine(task.lease)
      ? [{ taskId: task.id, lease: task.lease, stream: state.stream, tailBytes: LOG_TAIL_BYTES }]
      : [];
  return { lease: null, logs };
}

const ENTER_ALT_SCREEN = "\x1b[?1049h\x1b[H";
const LEAVE_ALT_SCREEN = "\x1b[?25h\x1b[?1049l";

/**
 * `rv tui`: full screen on the terminal's alternate screen, which is left on every way out (q, Ctrl-C, a
 * signal, a crash), so the shell comes back as it was.
 */
export async function runTui(ctx: Context, options: { tag?: string[] } = {}): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new RvError("usage", "rv tui needs a terminal", { hint: "for scripts: rv status --json, rv tasks --json" });
  }
  paintForStdout(ctx.env);
  jitAsUsual();
  const restore = () => process.stdout.write(LEAVE_ALT_SCREEN);
  process.stdout.write(ENTER_ALT_SCREEN);
  process.once("exit", restore);
  // Not Ink's waitUntilExit(): in a bun-compiled binary it spins for ever (see ui/live.ts).
  let quit = () => {};
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const tags = options.tag ?? [];
  const ink = render(<Tui local={localSource(ctx)} cluster={clusterSource(ctx)} tags={tags} onQuit={quit} />, {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  process.once("SIGTERM", quit);
  process.once("SIGHUP", quit);
  try {
    await quitting;
  } finally {
    ink.unmount();
    process.removeListener("SIGTERM", quit);
    process.removeListener("SIGHUP", quit);
    restore();
    process.removeListener("exit", restore);
  }
  return 0;
}
