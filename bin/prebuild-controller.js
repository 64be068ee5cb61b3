#!/usr/bin/env node
// Entry point of the CLI; the TypeScript is compiled to dist/ by `npm install` (prepare) or `npm run build`.
import { main } from '../dist/cli/main.js';
import { exitWhenFlushed } from '../dist/cli/output.js';

// Exit only once stdout and stderr have drained: a pipe would otherwise get the first 64 KiB.
await exitWhenFlushed(await main(process.argv.slice(2)));
