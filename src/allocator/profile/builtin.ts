/**
 * The built-in site profiles, as TOML text rather than files, so that bun's compiled binary carries them. They
 * go through the same parser as a user's file (load.ts), so they cannot drift from the documented format.
 */

/** UVA's Rivanna/Afton, from its first users' notes (notes/seed-cluster.md). */
const rivanna = `
name = "rivanna"
# Just under the backfill cliff: longer jobs wait for their priority turn, hours to days.
segment = "2:59:00"
maxGpusPerUser = 32

[balance]
argv = ["allocations"]
accountColumn = "Account"
availableColumn = "Available"

[[gpu]]
key = "mig"
partition = "gpu-mig"
gres = "1g.10gb"
vramGb = 10
suPerGpuHour = 0
maxPerUser = 28
maxPerJob = 1
maxWalltime = "3-00:00:00"
perNode = 56
kind = "mig"

[[gpu]]
key = "rtx3090"
partition = "interactive-rtx3090"
gres = "rtx3090"
vramGb = 24
suPerGpuHour = 113.23
maxPerUser = 2
maxPerJob = 2
maxWalltime = "12:00:00"
perNode = 4
kind = "interactive"

[[gpu]]
key = "a6000"
partition = "gpu-a6000"
gres = "a6000"
vramGb = 48
suPerGpuHour = 142.73
maxPerUser = 32
maxPerJob = 8
maxWalltime = "3-00:00:00"
perNode = 8

[[gpu]]
key = "a40"
partition = "gpu-a40"
gres = "a40"
vramGb = 48
suPerGpuHour = 186.69
maxPerUser = 32
maxPerJob = 8
maxWalltime = "3-00:00:00"
perNode = 8

[[gpu]]
key = "a100_40"
partition = "gpu-a100-40"
gres = "a100"
vramGb = 40
suPerGpuHour = 463.81
maxPerUser = 32
maxPerJob = 8
maxWalltime = "3-00:00:00"
perNode = 8

[[gpu]]
key = "a100_80"
partition = "gpu-a100-80"
gres = "a100"
vramGb = 80
suPerGpuHour = 508.89
maxPerUser = 32
maxPerJob = 8
maxWalltime = "3-00:00:00"
perNode = 8

[[gpu]]
key = "v100"
partition = "gpu-v100"
gres = "v100"
vramGb = 32
suPerGpuHour = 20.96
maxPerUser = 32
maxPerJob = 4
maxWalltime = "3-00:00:00"
perNode = 4

[[gpu]]
key = "h200"
partition = "gpu-h200"
gres = "h200"
vramGb = 141
suPerGpuHour = 816.67
maxPerUser = 4
maxPerJob = 4
maxWalltime = "3-00:00:00"
perNode = 8
`;

/**
 * The project's Slurm dev cluster (test/cluster/up.sh). Walltimes are its partitions' MaxTime; the SU rates
 * are invented, Rivanna's for the same cards. It enforces no per-user limits and has no balance command, so
 * the profile claims none.
 */
const devcluster = `
name = "devcluster"

[[gpu]]
key = "a6000"
partition = "gpu-a6000"
gres = "a6000"
vramGb = 48
suPerGpuHour = 142.73
maxWalltime = "2-00:00:00"
perNode = 4

[[gpu]]
key = "a100_80"
partition = "gpu-a100-80"
gres = "a100_80g"
vramGb = 80
suPerGpuHour = 508.89
maxWalltime = "2-00:00:00"
perNode = 4

[[gpu]]
key = "mig"
partition = "gpu-mig"
gres = "1g.10gb"
vramGb = 10
suPerGpuHour = 0
maxPerJob = 1
maxWalltime = "1-00:00:00"
perNode = 7
kind = "mig"

[[gpu]]
key = "rtx3090"
partition = "interactive-rtx3090"
gres = "rtx3090"
vramGb = 24
suPerGpuHour = 113.23
maxWalltime = "8:00:00"
perNode = 2
kind = "interactive"
`;

/** Built-in profiles by the name `--profile` and `[cluster] profile` take. */
export const builtinProfileTexts: Readonly<Record<string, string>> = { rivanna, devcluster };
