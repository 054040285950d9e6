import { Box, Text, type TextProps } from "ink";

export type CellStyle = Pick<TextProps, "color" | "dimColor" | "bold">;

export interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
  /** "fill": free text (a name, a reason) that gets what the width leaves, so it is the column cut short. */
  width?: "fill";
  style?: (row: Row) => CellStyle;
}

/** A run of text in one style; a screen row is a few of them. */
export interface Cell extends CellStyle {
  key: string;
  text: string;
}

/** Newlines and tabs in a name, a reason or an error would push every row below out of place. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t\v\f]+/g, " ");
}

interface LineProps {
  cells: readonly Cell[];
  inverse?: boolean;
}

/** Exactly one screen row: whatever does not fit ends in "…". */
export function Line({ cells, inverse = false }: LineProps) {
  return (
    <Text wrap="truncate-end" inverse={inverse}>
      {cells.map(({ key, text, ...style }) => (
        <Text key={key} {...style}>
          {oneLine(text)}
        </Text>
      ))}
    </Text>
  );
}

const GAP = "  ";

/** Pads every cell but the last to the widest in its place, so the rows line up. */
export function padColumns(rows: readonly (readonly Cell[])[]): Cell[][] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, length(cell.text));
    });
  }
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : { ...cell, text: pad(cell.text, widths[i] ?? 0) + GAP })),
  );
}

interface GridProps<Row> {
  columns: readonly Column<Row>[];
  /** Every row: the columns are as wide as all of them need, so they keep still while the window scrolls. */
  rows: readonly Row[];
  /** The window of rows drawn; default: all of them. */
  visible?: { first: number; count: number };
  width: number;
  rowKey: (row: Row) => string;
  highlighted?: string | null;
  /** Over the columns' own styles, for the whole row (a stuck task is red from end to end). */
  rowStyle?: (row: Row) => CellStyle | undefined;
}

/** Table rows as one `Line` each, so a highlighted row is one inverse bar as wide as the screen. */
export function Grid<Row>({ columns, rows, visible, width, rowKey, highlighted, rowStyle }: GridProps<Row>) {
  const widths = columnWidths(columns, rows, width);
  // Padding the last column to the screen's edge makes the highlight a bar across the whole row.
  const spare = width - widths.reduce((sum, w) => sum + w, 0) - GAP.length * (columns.length - 1);
  const cellText = (text: string, i: number) =>
    i < columns.length - 1
      ? clip(text, widths[i] ?? 0) + GAP
      : pad(clip(text, widths[i] ?? 0), (widths[i] ?? 0) + spare);
  const header = columns.map((c, i) => cellText(c.header.toUpperCase(), i)).join("");
  return (
    <Box flexDirection="column">
      <Line cells={[{ key: "header", text: header, bold: true }]} />
      {(visible ? rows.slice(visible.first, visible.first + visible.count) : rows).map((row) => {
        const key = rowKey(row);
        const cells = columns.map((c, i) => ({
          key: c.header,
          text: cellText(c.cell(row), i),
          ...(rowStyle?.(row) ?? c.style?.(row)),
        }));
        return <Line key={key} cells={cells} inverse={key === highlighted} />;
      })}
    </Box>
  );
}

/** Each column as wide as its widest cell; the "fill" one takes what is left of the width, up to its widest. */
function columnWidths<Row>(columns: readonly Column<Row>[], rows: readonly Row[], width: number): number[] {
  const widest = columns.map((c) => Math.max(length(c.header), ...rows.map((row) => length(c.cell(row)))));
  const fixed = widest.reduce((sum, w, i) => sum + (columns[i]?.width === "fill" ? 0 : w), 0);
  const left = width - fixed - GAP.length * (columns.length - 1);
  return columns.map((c, i) => (c.width === "fill" ? Math.max(0, Math.min(left, widest[i] ?? 0)) : (widest[i] ?? 0)));
}

function clip(text: string, width: number): string {
  const chars = [...oneLine(text)];
  if (chars.length <= width) return pad(chars.join(""), width);
  return width > 0 ? `${chars.slice(0, width - 1).join("")}…` : "";
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - length(text)));
}

function length(text: string): number {
  return [...text].length;
}
