#!/usr/bin/env node
// Runs the compiled CLI (built by `npm run build`, which `npm ci` triggers through `prepare`).
import { main } from '../dist/cli/main.js';
main(process.argv).then((code) => process.exit(code ?? 0));
