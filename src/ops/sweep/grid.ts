import { RvError } from "../../errors.ts";

/**
 * A sweep's grid, read from the command as typed (`python train.py --lr {1e-3,3e-4} --seed {1..3}`): each brace
 * group is an axis, the points are their cross product (the last axis varies fastest), and each point's argv has
 * the group replaced by its value.
 *
 * Brace groups, as bash reads them: `{a,b,c}` (a list of at least two items) and `{1..5}`, `{0..20..5}`,
 * `{01..10}` (integer ranges, with a step, zero-padded when an end is). Everything else is left as typed, since the
 * shell has already removed the quotes rv would need to tell: a group whose items hold a quote, a space, `:` or
 * another brace (a JSON object such as `{"a":1,"b":2}`), `{}`, `{x}` (one item), `${x,,}` (shell parameter
 * syntax), and `\{...}` (escaped).
 *
 * An axis is named after its flag: `--lr {..}`, `--lr={..}` and `lr={..}` are all `lr`; a group with no flag
 * before it is `p1`, `p2`, ... by its place among the axes.
 */
export interface Axis {
  name: string;
  values: string[];
}

/** One argv element: literal text and the axes placed in it, in order. */
type Piece = { text: string } | { axis: number };

export interface Grid {
  axes: Axis[];
  /** Each argv element as pieces. */
  template: Piece[][];
}

export interface Point {
  /** The axis values of this point, by axis name, in axis order. */
  params: Record<string, string>;
  argv: string[];
}

/** A grid of more points than this is most likely a typo (`{1..100000}`): refused, with the count. */
export const MAX_POINTS = 100_000;

const GROUP = /(\\?)\{([^{}]*)\}/g;

/** The first word with a group begun and never closed (`{a,b`, `{1..3`): a typo, where a sweep of one point follows. */
export function unclosedGroup(argv: readonly string[]): string | undefined {
  return argv.find((word) => /\{[^{}]*(,|\.\.)[^{}]*$/.test(word));
}

export function parseGrid(argv: readonly string[]): Grid {
  const axes: Axis[] = [];
  const template = argv.map((element, index) =>
    piecesOf(element, (values, prefix) => {
      const name = uniqueName(axisName(prefix, argv[index - 1]) ?? `p${axes.length + 1}`, axes);
      axes.push({ name, values });
      return axes.length - 1;
    }),
  );
  return { axes, template };
}

function piecesOf(element: string, addAxis: (values: string[], prefix: string) => number): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of element.matchAll(GROUP)) {
    const [whole, escaped, body] = match as unknown as [string, string, string];
    const start = match.index ?? 0;
    // `${x,,}` and `$(...)` are shell syntax, never a brace group (bash does not expand braces after `$`).
    const values = escaped || element[start - 1] === "$" ? null : groupValues(body);
    if (values === null) {
      // An escaped group loses its backslash; any other non-group stays exactly as typed.
      pieces.push({ text: element.slice(at, start) + (escaped ? whole.slice(1) : whole) });
    } else {
      pieces.push({ text: element.slice(at, start) });
      pieces.push({ axis: addAxis(values, element.slice(0, start)) });
    }
    at = start + whole.length;
  }
  pieces.push({ text: element.slice(at) });
  return merged(pieces);
}

function merged(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if ("text" in piece && piece.text === "") continue;
    if ("text" in piece && last && "text" in last) last.text += piece.text;
    else out.push({ ...piece });
  }
  return out;
}

/** The values of a brace group's body, or null when it is not a group rv expands. */
export function groupValues(body: string): string[] | null {
  const range = /^(-?\d+)\.\.(-?\d+)(?:\.\.(\d+))?$/.exec(body);
  if (range) return rangeValues(range[1] as string, range[2] as string, range[3]);
  if (!body.includes(",") || /["'\s:\\]/.test(body)) return null;
  return body.split(",");
}

function rangeValues(from: string, to: string, stepText: string | undefined): string[] {
  const [a, b] = [Number(from), Number(to)];
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step === 0)
    throw new RvError("usage", `{${from}..${to}..0}: a step of 0 never ends`, { hint: "use a step of 1 or more" });
  const count = Math.floor(Math.abs(b - a) / step) + 1;
  if (count > MAX_POINTS) throw tooMany(count);
  const width = /^-?0\d/.test(from) || /^-?0\d/.test(to) ? Math.max(from.length, to.length) : 0;
  const sign = b >= a ? 1 : -1;
  return Array.from({ length: count }, (_, i) => {
    const n = a + sign * i * step;
    const digits = String(Math.abs(n)).padStart(width - (n < 0 ? 1 : 0), "0");
    return n < 0 ? `-${digits}` : digits;
  });
}

/** `--lr` before the group's element, or `lr=` / `--lr=` inside it. */
function axisName(prefix: string, previous: string | undefined): string | null {
  const inside = /(?:^|[^A-Za-z0-9_-])-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=$/.exec(prefix);
  if (inside) return inside[1] as string;
  if (prefix === "" && previous && /^-{1,2}[A-Za-z][A-Za-z0-9_.-]*$/.test(previous)) return previous.replace(/^-+/, "");
  return null;
}

function uniqueName(name: string, axes: readonly Axis[]): string {
  if (!axes.some((a) => a.name === name)) return name;
  for (let n = 2; ; n++) if (!axes.some((a) => a.name === `${name}_${n}`)) return `${name}_${n}`;
}

function tooMany(count: number): RvError {
  return new RvError("usage", `the sweep has ${count} points, more than ${MAX_POINTS}`, {
    hint: "check the ranges ({1..10}, not {1..100000}), or split the sweep",
  });
}

/** Every point of the grid; a command without a group is one point with no parameters. */
export function expandGrid(grid: Grid): Point[] {
  const count = grid.axes.reduce((n, axis) => n * axis.values.length, 1);
  if (count > MAX_POINTS) throw tooMany(count);
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    let rest = i;
    const chosen = new Array<string>(grid.axes.length);
    for (let a = grid.axes.length - 1; a >= 0; a--) {
      const values = (grid.axes[a] as Axis).values;
      chosen[a] = values[rest % values.length] as string;
      rest = Math.floor(rest / values.length);
    }
    points.push(pointOf(grid, chosen));
  }
  return points;
}

function pointOf(grid: Grid, chosen: readonly string[]): Point {
  const params = Object.fromEntries(grid.axes.map((axis, a) => [axis.name, chosen[a] as string]));
  const argv = grid.template.map((pieces) => pieces.map((p) => ("text" in p ? p.text : chosen[p.axis])).join(""));
  return { params, argv };
}

/**
 * Points given one by one (`--from`): each fills the command's `{name}` placeholders. A placeholder no point
 * fills, or a point's parameter no placeholder takes, is refused, naming it.
 */
export function fillPlaceholders(argv: readonly string[], points: readonly Record<string, string>[]): Point[] {
  const used = new Set<string>();
  const fill = (params: Record<string, string>, where: string) =>
    argv.map((element) =>
      element.replace(/(\\?)\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (whole, escaped: string, name: string) => {
        if (escaped) return whole.slice(1);
        used.add(name);
        const value = params[name];
        if (value === undefined) {
          throw new RvError("usage", `${where} has no value for {${name}}`, {
            hint: `give every point a "${name}", or escape the brace as \\{${name}}`,
          });
        }
        return value;
      }),
    );
  return points.map((params, i) => {
    const filled = { params, argv: fill(params, `point ${i + 1}`) };
    const unused = Object.keys(params).filter((k) => !used.has(k));
    if (unused.length > 0) {
      throw new RvError("usage", `point ${i + 1}: the command has no {${unused[0]}} for its "${unused[0]}"`, {
        hint: `put {${unused[0]}} where the value goes, e.g. --${unused[0]} {${unused[0]}}`,
      });
    }
    return filled;
  });
}

/** `{lr}`, `{i}`: a parameter's name in braces. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * A point's task name: `lr=1e-3,seed=1` by default (the bare command's name for a sweep of one point); a
 * `--name` template fills `{lr}`, `{seed}` and `{i}` (the point's number, from 1). A name with no placeholder is a
 * prefix, `exp-1`, `exp-2`: the points of a grid are never all named alike.
 */
export function pointName(template: string | undefined, point: Point, index: number): string | undefined {
  if (template === undefined) {
    const pairs = Object.entries(point.params).map(([k, v]) => `${k}=${v}`);
    return pairs.length > 0 ? pairs.join(",") : undefined;
  }
  const grid = Object.keys(point.params).length > 0;
  const filled = grid && template.match(PLACEHOLDER) === null ? `${template}-{i}` : template;
  return filled.replace(PLACEHOLDER, (_whole, name: string) => {
    if (name === "i") return String(index + 1);
    const value = point.params[name];
    if (value === undefined) {
      throw new RvError("usage", `--name ${JSON.stringify(template)}: the sweep has no parameter ${name}`, {
        hint: `its parameters: ${[...Object.keys(point.params), "i"].join(", ")}`,
      });
    }
    return value;
  });
}
