#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm ci` (the `prepare` script).
import '../dist/cli/main.js';
