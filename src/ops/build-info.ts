import packageJson from "../../package.json" with { type: "json" };

/** Set by scripts/build.ts; absent when rv runs from source (tests), where it reads "dev". */
declare const RV_BUILD_ID: string | undefined;

export const rvVersion: string = packageJson.version;
export const buildId: string = typeof RV_BUILD_ID === "string" ? RV_BUILD_ID : "dev";

/** The file name of this build on a cluster: `<root>/bin/rv-<version>-<build>`. */
export const deployedName = `rv-${rvVersion}-${buildId}`;
