#!/usr/bin/env -S node --max-semi-space-size=4
// The options of this first line are NODE_OPTIONS (node-options.ts), which says why. This file is
// the command's first module: it only lets the bundle's chunks load with their compiled code
// (code-cache.ts), main.ts being the first of them.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useCodeCache } from './code-cache.js';

useCodeCache(dirname(fileURLToPath(import.meta.url)));
void import('./main.js');
