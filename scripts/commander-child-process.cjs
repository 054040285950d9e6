// What commander gets for `require("node:child_process")` in rv's build (scripts/build.ts): the one function it
// calls, for a command implemented by a separate executable (rv has none), loading the module only then.
exports.spawn = (...args) => require("node:child_process").spawn(...args);
