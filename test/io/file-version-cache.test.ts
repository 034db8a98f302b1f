import { describe, expect, it } from 'vitest';
import { FileVersionCache } from '../../src/io/file-version-cache.ts';

const v = (mtimeMs: number, size = 10) => ({ mtimeMs, size });

describe('FileVersionCache', () => {
  it('makes a value once per file version, and again for a changed file', async () => {
    const cache = new FileVersionCache<string>(4);
    let made = 0;
    const make = async () => `v${++made}`;
    expect(await cache.get('a', v(1), make)).toBe('v1');
    expect(await cache.get('a', v(1), make)).toBe('v1');
    expect(await cache.get('a', v(2), make)).toBe('v2');
    expect(await cache.get('a', v(2, 11), make)).toBe('v3');
    expect(made).toBe(3);
  });

  it('drops the least recently used beyond its bound, handing it to evicted', async () => {
    const dropped: string[] = [];
    const cache = new FileVersionCache<string>(2, (x) => dropped.push(x));
    await cache.get('a', v(1), async () => 'A');
    await cache.get('b', v(1), async () => 'B');
    await cache.get('a', v(1), async () => 'A again');
    await cache.get('c', v(1), async () => 'C');
    await Promise.resolve();
    expect(dropped).toEqual(['B']);
    expect(await cache.get('a', v(1), async () => 'A again')).toBe('A');
  });

  it('keeps no value whose making failed', async () => {
    const cache = new FileVersionCache<string>(2);
    await expect(cache.get('a', v(1), async () => { throw new Error('truncated'); })).rejects.toThrow('truncated');
    expect(await cache.get('a', v(1), async () => 'ok')).toBe('ok');
  });
});
