/**
 * Host work of GPU map tasks in slices between turns of the driver's event loop. A stage's tasks
 * slice at the same time (they prepare while one of them holds the device), so each turn lets one
 * waiting slice run: slices of several tasks do not add up to one long turn.
 */
const waiting: (() => void)[] = [];

function release(): void {
  waiting.shift()!();
  // Queued from a check-phase callback, the next release runs in the next turn, after timers and I/O.
  if (waiting.length) setImmediate(release);
}

/** Resolves in a later turn of the event loop, one waiter per turn. */
export function nextSlice(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting.push(resolve) === 1) setImmediate(release);
  });
}
