// Preloaded by the benchmarks (node --require): reports the process's peak resident set size and
// the CPU time it used, which a busy machine disturbs far less than the wall-clock time.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(`max-rss-kib=${usage.maxRSS} cpu-us=${usage.userCPUTime + usage.systemCPUTime}\n`);
});
