/** HTML escaping and the few SVG element helpers the report's pictures are drawn with. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value made safe for HTML and SVG. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export type Attrs = Readonly<Record<string, string | number | undefined>>;

/** ` a="1" b="x"`, skipping undefined values; numbers rounded to 0.1 px. */
export function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${esc(typeof v === 'number' ? round(v) : v)}"`;
  }
  return out;
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** An element; `children` is markup (escape text with esc or use text()). */
export function el(tag: string, a: Attrs, children = ''): string {
  return `<${tag}${attrs(a)}>${children}</${tag}>`;
}

export function rect(a: Attrs & { x: number; y: number; width: number; height: number }, title?: string): string {
  return el('rect', a, title === undefined ? '' : tooltip(title));
}

export function text(x: number, y: number, s: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, esc(s));
}

/** A hover tooltip of its parent element. */
export function tooltip(s: string): string {
  return el('title', {}, esc(s));
}

export function svg(width: number, height: number, body: string, a: Attrs = {}): string {
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${round(width)} ${round(height)}`, ...a }, body);
}

// Average advance of a character, in em: Arial's is ~0.5, DejaVu Sans's ~0.6; labels must fit either.
const CHAR_EM = 0.6;

/** Rough width of a string in a sans-serif font of `px` size, for laying out labels without a browser. */
export function textWidth(s: string, px: number): number {
  return s.length * px * CHAR_EM;
}

/** `s` cut to fit `width` px, with an ellipsis. */
export function fitText(s: string, width: number, px: number): string {
  const max = Math.floor(width / (px * CHAR_EM));
  return s.length <= max ? s : max <= 1 ? '' : `${s.slice(0, max - 1)}…`;
}
