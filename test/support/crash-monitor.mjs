// Preloaded into app processes by the fault suite (NODE_OPTIONS=--import <this file>). It only
// observes: 'uncaughtExceptionMonitor' listeners do not change what Node does next (an unhandled
// rejection still kills the process), but they let the suite say exactly why a process died. Node
// prints a rejected Error without the word "unhandled", so scanning logs alone would miss it.
process.on('uncaughtExceptionMonitor', (err, origin) => {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`\nFAULTS-CRASH origin=${origin} pid=${process.pid}: ${detail}\n`);
});
