#!/usr/bin/env node
import { contextFromProcess } from './context.js';
import { runArcface } from './program.js';

process.exitCode = await runArcface(process.argv.slice(2), contextFromProcess());
