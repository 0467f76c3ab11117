#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm run build` (docker/setup.sh runs it; `npm pack` too, via prepack).
import { main } from '../dist/cli/main.js';

await main(process.argv);
