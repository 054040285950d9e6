/**
 * Only these variables of a submitter's (or a lease starter's) environment reach tasks and runners, plus
 * explicit `--env` and rv's own `RV_*`: tokens and other secrets in a shell never land in a task file, and
 * a task sees the same environment whoever started its runner.
 */
const ENV_ALLOWLIST = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "VIRTUAL_ENV",
  "CONDA_PREFIX",
  "CONDA_DEFAULT_ENV",
  "PYTHONPATH",
  "LD_LIBRARY_PATH",
];

/**
 * The variable by which a runner finds every process of a task's attempt, even one that left the task's process
 * group (src/runner/tag.ts). Never inherited: a runner started from inside a task must not pass for that task's.
 */
export const ATTEMPT_TAG_VAR = "RV_ATTEMPT_TAG";

export function inheritedEnv(env: NodeJS.ProcessEnv, options: { withRvSettings: boolean }): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === ATTEMPT_TAG_VAR) continue;
    const rvSetting = options.withRvSettings && key.startsWith("RV_");
    if (rvSetting || ENV_ALLOWLIST.includes(key) || key.startsWith("LC_")) kept[key] = value;
  }
  return kept;
}
