/**
 * What a sync leaves out unless told otherwise: what a repository never holds (its own history, environments,
 * caches) and the heavy artefacts training writes (checkpoints, run logs), which belong to the cluster's side.
 */
export const DEFAULT_EXCLUDES = [
  ".git/",
  ".venv/",
  "venv/",
  "__pycache__/",
  "*.pyc",
  ".ipynb_checkpoints/",
  "node_modules/",
  "wandb/",
  "mlruns/",
  "lightning_logs/",
  "checkpoints/",
  "*.ckpt",
  "*.pt",
  "*.pth",
  "*.safetensors",
  ".rv/",
] as const;

/**
 * rsync filter rules, first match wins: `--include` patterns, then each directory's `.gitignore` and `.rvignore`
 * (read as rsync reads them: a pattern per line, `!` to include again in .rvignore), then the defaults.
 */
export function syncFilters(includes: readonly string[]): string[] {
  return [
    ...includes.map((pattern) => `+ ${pattern}`),
    ":- .gitignore",
    ":- .rvignore",
    ...DEFAULT_EXCLUDES.map((pattern) => `- ${pattern}`),
  ];
}
