/**
 * The process's peak resident memory while a query runs: RSS sampled every 10 ms on the main
 * thread (it counts every thread of the process: executor threads, DuckDB's). One process holds
 * all engines, so an engine's figure is the process's RSS while that engine ran.
 */

/** Starts sampling; the returned function stops and gives the highest RSS seen, in bytes. */
export function startRssSample(intervalMs = 10): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss());
  };
}
