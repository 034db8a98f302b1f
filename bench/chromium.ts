/**
 * Headless chromium for looking at the HTML reports: the rendered DOM (--dump-dom) and screenshots.
 * Each run gets a fresh profile folder and a timeout; nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** $CHROME_PATH, else chromium (or Chrome) on PATH, else /usr/bin/chromium; undefined when none. */
export function findChromium(): string | undefined {
  const env = process.env.CHROME_PATH;
  if (env && executable(env)) return env;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of NAMES) for (const d of dirs) if (executable(path.join(d, name))) return path.join(d, name);
  return executable('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export interface ChromiumRun {
  readonly width?: number;
  readonly height?: number;
  /** Device pixels per CSS pixel of a screenshot. */
  readonly scale?: number;
  readonly timeoutMs?: number;
}

function run(bin: string, htmlFile: string, args: readonly string[], o: ChromiumRun): Promise<string> {
  const profile = mkdtempSync(path.join(tmpdir(), 'gpuframe-chromium-'));
  const all = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--hide-scrollbars', `--user-data-dir=${profile}`,
    `--window-size=${o.width ?? 1200},${o.height ?? 900}`, `--force-device-scale-factor=${o.scale ?? 1}`,
    ...args, pathToFileURL(htmlFile).href,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(bin, all, { timeout: o.timeoutMs ?? 60_000, maxBuffer: 256 * 2 ** 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`${bin} failed (${err.killed ? 'timed out' : `exit ${err.code}`}): ${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The DOM after the page loaded, serialized. */
export function dumpDom(bin: string, htmlFile: string, o: ChromiumRun = {}): Promise<string> {
  return run(bin, htmlFile, ['--dump-dom'], o);
}

/** A PNG of the window (width × height CSS pixels) showing the page's top. */
export async function screenshot(bin: string, htmlFile: string, pngFile: string, o: ChromiumRun = {}): Promise<void> {
  await run(bin, htmlFile, [`--screenshot=${pngFile}`], o);
}
