#!/usr/bin/env node
/** Entry point of the `coffer` command (built to dist/cli/main.js, the package's bin). */

import { homedir } from 'node:os';
import { runCli } from './program.js';
import { processIo } from './terminal.js';

// exitCode, not process.exit(): pending output is flushed, and `coffer server` keeps running.
process.exitCode = await runCli(process.argv.slice(2), { env: process.env, home: homedir(), io: processIo() });
