import { createRequire } from 'node:module';
import type * as Commander from 'commander';

/**
 * commander is a CommonJS package: required directly it loads in about half the time its ES module
 * wrapper takes (which has node scan the package's sources for their exports), and every command
 * line pays that before anything else.
 */
const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const Command = commander.Command;
export type Command = Commander.Command;
export const Option = commander.Option;
export type Option = Commander.Option;
