// Preloaded by the benchmarks (node --require): reports the process's peak resident set size.
process.on('exit', () => {
  process.stderr.write(`max-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
