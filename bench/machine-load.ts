/**
 * How busy the machine is: this process's CPU time against the whole machine's (/proc/stat), so
 * that a timing taken while other processes ran can be flagged as unreliable.
 */
import { readFileSync } from 'node:fs';
import { fmtNum } from './report.ts';

/** Other processes using fewer cores than this (during a measurement, or before the run) count as a quiet machine. */
export const QUIET_CORES = 0.15;

/**
 * Seconds of CPU time the whole machine has spent busy (all processes, all
 * cores), from /proc/stat; undefined where there is no /proc/stat.
 */
function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export interface LoadSample {
  readonly wallMs: number;
  /** This process's CPU time (all threads). */
  readonly ownMs: number;
  /** CPU time of every other process meanwhile; undefined without /proc/stat. */
  readonly othersMs: number | undefined;
}

/** Starts measuring; the returned function ends the sample. */
export function startLoadSample(): () => LoadSample {
  const m0 = machineBusySeconds();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const m1 = machineBusySeconds();
    const ownMs = (cpu.user + cpu.system) / 1000;
    return { wallMs, ownMs, othersMs: m0 !== undefined && m1 !== undefined ? (m1 - m0) * 1000 - ownMs : undefined };
  };
}

/** Cores other processes kept busy over the next `ms` milliseconds while this one sleeps; undefined without /proc/stat. */
export async function otherProcessesNow(ms: number): Promise<number | undefined> {
  const stop = startLoadSample();
  await new Promise((r) => setTimeout(r, ms));
  const s = stop();
  return s.othersMs === undefined ? undefined : Math.max(0, s.othersMs / s.wallMs);
}

/** The closing verdict on the machine's quiet during the measurements (`others` in cores, undefined where a run was too short to tell). */
export function quietVerdict(measurements: readonly { query: string; engine: string; otherProcessesCores?: number }[]): string {
  const loaded = measurements.filter((m) => (m.otherProcessesCores ?? 0) > QUIET_CORES);
  const judged = measurements.filter((m) => m.otherProcessesCores !== undefined);
  if (loaded.length > 0) {
    return (
      `WARNING: other processes used CPU during ${loaded.length} of ${measurements.length} measurements ` +
      `(up to ${fmtNum(Math.max(...loaded.map((m) => m.otherProcessesCores!)), 2)} cores: ${loaded.map((m) => `${m.query}/${m.engine}`).join(', ')}); ` +
      `those timings are unreliable, rerun on a quiet machine.`
    );
  }
  if (judged.length > 0) {
    return (
      `quiet machine: yes, other processes used under ${QUIET_CORES} cores during each of ${judged.length} measurements` +
      (judged.length < measurements.length ? ` (${measurements.length - judged.length} too short to tell)` : '')
    );
  }
  return 'quiet machine: unknown (runs too short to tell, or no /proc/stat)';
}
