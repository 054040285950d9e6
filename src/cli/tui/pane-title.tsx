import { Line } from "../ui/grid.tsx";

/** A pane's first row; the focused pane's is marked, so focus shows without colour too. */
export function PaneTitle({ title, note = "", focused = false }: { title: string; note?: string; focused?: boolean }) {
  return (
    <Line
      cells={[
        { key: "focus", text: focused ? "▸ " : "  ", bold: true },
        { key: "title", text: title, bold: true, ...(focused ? { color: "cyan" } : {}) },
        { key: "note", text: note && `  ${note}`, dimColor: true },
      ]}
    />
  );
}
