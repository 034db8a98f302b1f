/** The report's HTML shell: one self-contained document, its inline style sheet and the shared bits of page. */
import { FAIL, GRID, INK, MUTED } from './colors.ts';
import { el, esc } from './svg.ts';

// No system-ui: on Linux it is whatever fontconfig prefers; Arial's metrics are what labels are laid out for.
const SANS = `-apple-system, 'Segoe UI', 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif`;
const MONO = `ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace`;

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:${INK};font:14px/1.45 ${SANS}}
main{max-width:1160px;margin:0 auto;padding:22px 20px 40px}
h1{font-size:21px;margin:0 0 2px;font-weight:650}
.sub{color:${MUTED};margin:0 0 6px}
section.card{background:#fff;border:1px solid #d8dee4;border-radius:10px;padding:16px 20px 18px;margin:16px 0;box-shadow:0 1px 2px rgba(31,35,40,.05)}
h2{font-size:17px;margin:0;font-weight:650}
h3{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:${MUTED};margin:18px 0 8px;font-weight:600}
.facts{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 0;padding:0;list-style:none}
.facts li{background:#eef1f4;border-radius:999px;padding:2px 10px;font-size:12.5px}
.facts b{font-weight:600}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:6px;padding:10px 12px;margin:0;font:12px/1.45 ${MONO};overflow:auto;white-space:pre}
svg{display:block;max-width:100%;height:auto;font-family:${SANS};overflow:visible}
svg text{font-size:12px;fill:${INK}}
svg .muted{fill:${MUTED}}
svg text.on-color{fill:#fff}
svg .axis line,svg line.grid{stroke:${GRID};stroke-width:1}
svg .fail{fill:${FAIL}}
.note{color:${MUTED};font-size:12.5px;margin:6px 0 0}
h3.query{text-transform:none;letter-spacing:0;font-size:13.5px;color:${INK};margin:16px 0 4px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0 0;padding:0;list-style:none;font-size:12.5px;color:${MUTED}}
.legend li{display:flex;align-items:center;gap:6px}
.legend i{display:inline-block;width:14px;height:10px;border-radius:2px}
`;

/** A complete HTML document: no scripts, no network. */
export function htmlPage(title: string, subtitle: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${subtitle ? `<p class="sub">${esc(subtitle)}</p>\n` : ''}${body}
</main>
</body>
</html>
`;
}

/** `label: value` chips. */
export function facts(items: readonly (readonly [string, string])[]): string {
  return el('ul', { class: 'facts' }, items.map(([k, v]) => `<li>${esc(k)} <b>${esc(v)}</b></li>`).join(''));
}

export interface LegendItem {
  readonly label: string;
  readonly color: string;
  /** An outline instead of a filled swatch. */
  readonly outline?: boolean;
}

export function legend(items: readonly LegendItem[]): string {
  const swatch = (i: LegendItem) => (i.outline ? `border:2px solid ${i.color}` : `background:${i.color}`);
  return el('ul', { class: 'legend' }, items.map((i) => `<li><i style="${esc(swatch(i))}"></i>${esc(i.label)}</li>`).join(''));
}
