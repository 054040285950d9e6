import { renderTable } from "./history.ts";
import { runChaos } from "./run.ts";

/**
 * `npm run chaos [-- --short] [--only TEXT] [--seed N] [--runs N]`: every scenario, its runs, one table
 * (docs/reliability.md). Exits 1 when any task was lost, ran twice at once or ended wrong.
 */
async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const runs = flag("--runs");
  const { rows, problems } = await runChaos({
    short: argv.includes("--short"),
    only: flag("--only"),
    seed: Number(flag("--seed") ?? 1),
    ...(runs && { runs: Number(runs) }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${renderTable(rows)}\n`);
  for (const problem of problems) process.stdout.write(`- ${problem}\n`);
  const bad = rows.some((r) => r.lost > 0 || r.twice > 0 || r.wrongFinal > 0);
  process.exitCode = bad ? 1 : 0;
}

await main(process.argv.slice(2));
