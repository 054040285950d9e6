/**
 * rv's binary starts with JavaScriptCore's tier-up thresholds raised (scripts/build.ts): most commands end within
 * milliseconds, sooner than compiling pays, and none of them starts the JIT's threads. Work that goes on long (a
 * runner for hours, a server, a screen, a listing that reads every task, a done index rebuilt from every record)
 * compiles its hot paths as usual from the moment it calls this. The Node bundle has no such setting. A bottom
 * module, as deferred.ts is: the queue calls it too.
 */
export function jitAsUsual(): void {
  (globalThis as { Bun?: { unsafe: { setJITPolicy(scale: number): void } } }).Bun?.unsafe.setJITPolicy(1);
}
