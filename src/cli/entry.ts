#!/usr/bin/env node
// No V8 option on this first line: large-plan-heap.ts says why. This file is the command's first
// module: it only lets the bundle's chunks load with their compiled code (code-cache.ts), main.ts
// being the first of them.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useCodeCache } from './code-cache.js';

useCodeCache(dirname(fileURLToPath(import.meta.url)));
void import('./main.js');
