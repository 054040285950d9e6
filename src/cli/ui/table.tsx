import { Box, Text, type TextProps } from "ink";

export type CellStyle = Pick<TextProps, "color" | "dimColor" | "bold">;

export interface Column<Row> {
  header: string;
  cell: (row: Row) => string;
  /** Characters; "fill" takes what the terminal has left (free text such as a reason). Default: the widest cell. */
  width?: number | "fill";
  style?: (row: Row) => CellStyle;
}

interface TableProps<Row> {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
}

const GAP = 2;
const BOLD: CellStyle = { bold: true };

/** Aligned columns under an upper-cased header; a cell longer than its column ends in "…". */
export function Table<Row>({ columns, rows, rowKey }: TableProps<Row>) {
  const widths = columns.map((column) => column.width ?? widestCell(column, rows));
  const header = columns.map((column) => ({ key: column.header, text: column.header.toUpperCase(), style: BOLD }));
  return (
    <Box flexDirection="column">
      <TableLine widths={widths} cells={header} />
      {rows.map((row) => (
        <TableLine
          key={rowKey(row)}
          widths={widths}
          cells={columns.map((column) => ({
            key: column.header,
            text: column.cell(row),
            style: column.style?.(row) ?? {},
          }))}
        />
      ))}
    </Box>
  );
}

interface TableLineProps {
  widths: readonly (number | "fill")[];
  cells: readonly { key: string; text: string; style: CellStyle }[];
}

function TableLine({ widths, cells }: TableLineProps) {
  return (
    <Box>
      {cells.map((cell, i) => (
        <TableCell
          key={cell.key}
          width={widths[i] ?? "fill"}
          gap={i < cells.length - 1 ? GAP : 0}
          text={cell.text}
          style={cell.style}
        />
      ))}
    </Box>
  );
}

interface TableCellProps {
  width: number | "fill";
  gap: number;
  text: string;
  style: CellStyle;
}

function TableCell({ width, gap, text, style }: TableCellProps) {
  const size = width === "fill" ? { flexGrow: 1, flexShrink: 1, minWidth: 0 } : { width, flexShrink: 0 };
  return (
    <Box {...size} marginRight={gap}>
      <Text wrap="truncate-end" {...style}>
        {text}
      </Text>
    </Box>
  );
}

function widestCell<Row>(column: Column<Row>, rows: readonly Row[]): number {
  return Math.max(column.header.length, ...rows.map((row) => [...column.cell(row)].length));
}
