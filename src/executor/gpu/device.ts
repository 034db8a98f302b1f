/**
 * Opening a WebGPU device through Dawn (npm `webgpu`): the hardware adapter first (Dawn's default
 * backend: Vulkan / Metal / D3D12), then the software one (OpenGL ES over Mesa's llvmpipe).
 * Only limits the adapter reports are requested. Device loss and uncaptured errors are recorded
 * so that the next call fails with a typed GpuDeviceError instead of hanging.
 */
import { debuglog } from 'node:util';
import { create } from 'webgpu';
import { GpuDeviceError, GpuUnavailableError } from '../../errors.ts';

export interface GpuDevice {
  readonly device: GPUDevice;
  /** Adapter description and backend, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (opengles)". */
  readonly adapterName: string;
  readonly software: boolean;
  /** The device can time its passes ('timestamp-query'): GPU-side kernel times in the metrics. */
  readonly timestamps: boolean;
  /** Set once the device is lost or reports an error outside an error scope. */
  failure: string | null;
}

const INSTALL_HINT =
  'no WebGPU adapter found. On a machine without a GPU, install the software adapter ' +
  '(Mesa llvmpipe through OpenGL ES); on Debian/Ubuntu: apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri';

const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage',
] as const;

function describe(adapter: GPUAdapter, backend: string): string {
  const info = adapter.info as GPUAdapterInfo | undefined;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'unknown adapter';
  return `${name} (${backend})`;
}

/**
 * One GPU instance per set of flags, kept for the life of the process: Dawn's event loop keeps
 * polling an instance after its JS object is collected, which aborted the process
 * (std::system_error in ProcessEvents).
 */
const instances = new Map<string, GPU>();

const debug = debuglog('gpuframe');

async function tryAdapter(flags: string[], options: GPURequestAdapterOptions | undefined): Promise<GPUAdapter | null> {
  try {
    const key = flags.join(' ');
    let gpu = instances.get(key);
    if (!gpu) instances.set(key, (gpu = create(flags)));
    return await gpu.requestAdapter(options);
  } catch (e) {
    debug('requestAdapter(%s) failed: %s', flags.join(' '), e instanceof Error ? e.message : String(e));
    return null;
  }
}

/**
 * Dawn's default backend on Linux is Vulkan, and without a Vulkan loader Dawn prints a warning to
 * stderr and finds nothing: look for the loader ourselves first. A library that is not a Node
 * addon fails dlopen's registration step only after it loaded, so only "cannot open" means absent.
 */
function defaultBackendLoadable(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, 'libvulkan.so.1');
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/cannot open shared object/i.test(message)) {
      debug('no Vulkan loader, skipping the default backend: %s', message);
      return false;
    }
  }
  return true;
}

const isSoftware = (adapter: GPUAdapter): boolean =>
  adapter.info?.vendor === 'mesa' && /llvmpipe|lavapipe/i.test(adapter.info.description ?? '');

/**
 * Opens the hardware adapter, else (with `software: true`) the software one. Without it, no
 * software adapter is opened (it would only be measured slower than the CPU executor).
 */
export async function openDevice(options: { software: boolean }): Promise<GpuDevice> {
  // Kernel timings want the GPU's clock at full precision (Dawn quantizes timestamps by default).
  const first = defaultBackendLoadable() ? await tryAdapter(['disable-dawn-features=timestamp_quantization'], undefined) : null;
  if (first && !isSoftware(first)) return openOn(first, 'default', false);
  if (!options.software) {
    throw new GpuUnavailableError(first
      ? `the only WebGPU adapter is a software one (${describe(first, 'default')}), slower than the CPU executor; executor: 'gpu' uses it anyway`
      : `no hardware WebGPU adapter found; executor: 'gpu' would use the software adapter (Mesa llvmpipe) where installed, slower than the CPU executor`);
  }
  // The software adapter: Dawn's OpenGL ES backend on a surfaceless EGL display; else the software
  // adapter the default backend found (lavapipe).
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const soft = await tryAdapter(['backend=opengles'], { featureLevel: 'compatibility' });
  if (soft) return openOn(soft, 'opengles', true);
  if (first) return openOn(first, 'default', true);
  throw new GpuUnavailableError(INSTALL_HINT);
}

async function openOn(adapter: GPUAdapter, backend: string, software: boolean): Promise<GpuDevice> {
  debug('opening %s', describe(adapter, backend));
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS) requiredLimits[name] = adapter.limits[name];
  const timestamps = adapter.features.has('timestamp-query');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures: timestamps ? ['timestamp-query'] : [] });
  } catch (e) {
    throw new GpuUnavailableError(`the WebGPU adapter refused a device: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: GpuDevice = { device, adapterName: describe(adapter, backend), software, timestamps, failure: null };
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') out.failure ??= `device lost: ${info.message}`;
  });
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    out.failure ??= `uncaptured ${ev.error.constructor?.name ?? 'GPU error'}: ${ev.error.message}`;
  };
  return out;
}

/** Runs GPU work inside validation and out-of-memory error scopes; any error becomes a GpuDeviceError. */
export async function withErrorScopes<T>(gpu: GpuDevice, work: () => Promise<T>): Promise<T> {
  if (gpu.failure) throw new GpuDeviceError(gpu.failure);
  const device = gpu.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await work();
  } catch (e) {
    await device.popErrorScope().catch(() => null);
    await device.popErrorScope().catch(() => null);
    if (gpu.failure) throw new GpuDeviceError(gpu.failure);
    throw e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const err = validation ?? oom;
  if (err) throw new GpuDeviceError(`GPU ${validation ? 'validation' : 'out-of-memory'} error: ${err.message}`);
  if (gpu.failure) throw new GpuDeviceError(gpu.failure);
  return result;
}
