import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { RvError } from "../../errors.ts";
import { jsonLines } from "../json-lines.ts";

/**
 * Points given one by one (`rv sweep --from FILE`): a JSON object per line (`.jsonl`), a CSV file whose header
 * names the parameters (`.csv`), or a YAML list of mappings (`.yaml`, `.yml`). Values are kept as text, as they
 * will appear in argv: numbers and booleans as the file writes them. Every point is checked before anything is
 * submitted; a bad one names its line.
 */
export function parsePoints(text: string, file: string): Record<string, string>[] {
  const points = pointsOf(text, file);
  if (points.length === 0) throw new RvError("usage", `${file}: no points in it`);
  return points;
}

function pointsOf(text: string, file: string): Record<string, string>[] {
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return csvPoints(text, file);
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return yamlPoints(text, file);
  return jsonlPoints(text, file);
}

/** `- {lr: 1e-3, seed: 1}` per point. A scalar keeps the text written (`1e-3` stays `1e-3`, not 0.001). */
function yamlPoints(text: string, file: string): Record<string, string>[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true });
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line;
  const [error] = doc.errors;
  if (error) throw badLine(file, lineOf(error.pos[0]), error.message.split("\n")[0] ?? "not YAML");
  if (doc.contents === null) return [];
  if (!isSeq(doc.contents)) throw badLine(file, lineOf(doc.contents.range?.[0]), "expected a list of points");
  return doc.contents.items.map((item) => {
    const at = lineOf(item.range?.[0]);
    if (!isMap(item)) throw badLine(file, at, "expected a mapping such as {lr: 1e-3, seed: 1}");
    const point: Record<string, string> = {};
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      const value = pair.value;
      if (!isScalar(value) || value.value === null) throw badLine(file, at, `${key}: expected a string or number`);
      const plain = value.type === "PLAIN" ? (value.srcToken as { source?: string } | undefined)?.source : undefined;
      point[key] = plain ?? String(value.value);
    }
    return point;
  });
}

function jsonlPoints(text: string, file: string): Record<string, string>[] {
  return jsonLines(text).map((entry) => {
    if ("error" in entry) throw badLine(file, entry.line, entry.error);
    const { json, line } = entry;
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw badLine(file, line, 'expected an object such as {"lr": 0.001, "seed": 1}');
    }
    const point: Record<string, string> = {};
    for (const [key, value] of Object.entries(json)) {
      if (typeof value === "object" && value !== null) throw badLine(file, line, `${key}: expected a string or number`);
      point[key] = String(value);
    }
    return point;
  });
}

function csvPoints(text: string, file: string): Record<string, string>[] {
  const rows = csvRows(text, file).filter((row) => !(row.length === 1 && row[0] === ""));
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((row, i) => {
    if (row.length !== header.length) {
      throw badLine(file, i + 2, `${row.length} fields where the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((name, k) => [name.trim(), row[k] as string]));
  });
}

/** RFC 4180 rows: fields in double quotes may hold commas, newlines and doubled quotes. */
function csvRows(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\n") line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
    } else field += c;
  }
  if (quoted) throw badLine(file, line, "a quoted field is not closed");
  if (field !== "" || row.length > 0) endRow();
  return rows;
}

function badLine(file: string, line: number, reason: string): RvError {
  return new RvError("usage", `${file}, line ${line}: ${reason}; nothing was submitted`, {
    hint: 'one point a line: {"lr": 0.001, "seed": 1} (.jsonl), a CSV file with a header (lr,seed), or a YAML list (- {lr: 1e-3, seed: 1})',
  });
}
