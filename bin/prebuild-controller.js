#!/usr/bin/env node
// Entry point of the CLI; the TypeScript is compiled to dist/ by `npm install` (prepare) or `npm run build`.
import { main } from '../dist/cli/main.js';

process.exit(await main(process.argv.slice(2)));
