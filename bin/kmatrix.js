#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm ci` (the `prepare` script).
import { main } from '../dist/cli/main.js';

await main(process.argv);
