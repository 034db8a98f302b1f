/** The longest time between two ticks of a 10 ms interval while `work` runs: how long the event loop was blocked. */
export async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now(), worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    await work();
    return Math.max(worst, performance.now() - last);
  } finally {
    clearInterval(timer);
  }
}
