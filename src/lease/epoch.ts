/** An ISO time in whole epoch seconds (null stays null). No imports at run time: `rv ui`'s page uses it too. */
export function epochOf(iso: string | null | undefined): number | null {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null;
}
