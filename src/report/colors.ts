/** The report's colours: one per stage (or bench engine), one per GPU task segment. */

// Tableau-10 hues, minus the ones the GPU segments use, so a segment never looks like a stage.
const SERIES = ['#4e79a7', '#f28e2b', '#76b7b2', '#e15759', '#ff9da7', '#499894', '#d37295', '#bab0ac'];

/** Colour of the i-th series (0-based), repeating after eight. */
export function seriesColor(i: number): string {
  return SERIES[((i % SERIES.length) + SERIES.length) % SERIES.length]!;
}

/** Stage ids start at 1. */
export const stageColor = (stageId: number): string => seriesColor(stageId - 1);

export const SEGMENT_COLORS = {
  upload: '#edc948',
  kernels: '#59a14f',
  readback: '#b07aa1',
  decode: '#9c755f',
} as const;

/** A task phase's colour (TaskDetails.phases), grey for a phase this palette does not know. */
export const segmentColor = (name: string): string => (SEGMENT_COLORS as Record<string, string>)[name] ?? '#8c959f';

export const INK = '#1f2328';
export const MUTED = '#656d76';
export const GRID = '#e4e7eb';
export const FAIL = '#cf222e';
