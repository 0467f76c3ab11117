#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm run build` (docker/setup.sh runs it; `npm pack` too, via prepack).
import { main } from '../dist/cli/main.js';

await main(process.argv);
// Exit explicitly once the output is flushed, instead of through Node's teardown: there the default signal
// action is back, and a late second Ctrl-C would kill kmatrix by signal instead of exiting 3.
const code = process.exitCode ?? 0;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
