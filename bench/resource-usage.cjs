// Preloaded by the benchmarks (node --require): reports the process's peak resident set size and
// the CPU time it used, which a busy machine disturbs far less than the wall-clock time.
// The peak is read from /proc (VmHWM, this process's own): getrusage's maxRSS keeps the peak of
// the process that forked it, which is the benchmark itself.
const { readFileSync } = require('node:fs');

process.on('exit', () => {
  const usage = process.resourceUsage();
  const peak = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? usage.maxRSS;
  process.stderr.write(`max-rss-kib=${peak} cpu-us=${usage.userCPUTime + usage.systemCPUTime}\n`);
});
