#!/usr/bin/env node
// The onex command line. Built from src/cli by `npm install` (the `prepare` script) or `npm run build`.
import { main } from '../dist/cli/main.js';

await main();
