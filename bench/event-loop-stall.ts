/**
 * The driver's longest event-loop stall while a query runs: how long a timer, an AbortSignal or a
 * progress listener could have waited (perf_hooks' event-loop delay, 10 ms resolution).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Starts watching; the returned function stops and gives the longest stall in ms. */
export function startStallSample(): () => number {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return () => {
    h.disable();
    // max counts from the timer's due time; 0 when the loop never turned late.
    return h.count > 0 ? h.max / 1e6 : 0;
  };
}
