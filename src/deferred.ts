/**
 * A value built the first time anything touches it, standing in for it meanwhile: `deferred(() => z.object(...))`
 * is the schema, by type and in use (parse, `.shape`, `.pick`, nesting in another schema), built when first used.
 *
 * Why: every rv command is a fresh process, and a zod schema costs its construction at module load (~10-30 µs an
 * instance and the memory behind it, a record of 40 fields ~100 instances), though a command parses only a few
 * kinds of record. Built on use, `rv submit` builds the records it reads and not the ones it never opens.
 */
export function deferred<T extends object>(build: () => T): T {
  let built: T | undefined;
  const value = (): T => {
    built ??= build();
    return built;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(value(), key),
    set: (_, key, to) => Reflect.set(value(), key, to),
    has: (_, key) => Reflect.has(value(), key),
    ownKeys: () => Reflect.ownKeys(value()),
    getPrototypeOf: () => Reflect.getPrototypeOf(value()),
    // Reported configurable: a proxy may not call a property fixed that its (empty) stand-in target lacks.
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(value(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
