// The command's bundle (dist/bin) carries commander inside it: one file to compile rather than a
// package to find and its modules to load one by one.
export { Command, Option } from 'commander';
