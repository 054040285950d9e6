#!/usr/bin/env node
// The `rv` bin entry (npx rv): the Node bundle built by `npm run build`.
await import("../dist/rv.mjs");
