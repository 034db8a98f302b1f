/** Compute pipelines cached per device by shader key (the WGSL is a pure function of the key). */
const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function pipelineFor(device: GPUDevice, key: string, source: () => string): GPUComputePipeline {
  let byKey = cache.get(device);
  if (!byKey) cache.set(device, (byKey = new Map()));
  let p = byKey.get(key);
  if (!p) {
    const module = device.createShaderModule({ code: source() });
    p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    byKey.set(key, p);
  }
  return p;
}

/** A stable string of a key object (bigints and non-finite numbers included). */
export const keyString = (key: unknown): string =>
  JSON.stringify(key, (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** A kernel's uniform parameters: `names`' values in order (0 where unset), padded to whole vec4s. */
export function paramsArray(names: readonly string[], values: ReadonlyMap<string, number>): Uint32Array {
  const out = new Uint32Array(Math.max(4, Math.ceil(names.length / 4) * 4));
  names.forEach((n, i) => { out[i] = (values.get(n) ?? 0) >>> 0; });
  return out;
}
