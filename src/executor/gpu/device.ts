/**
 * Opening a WebGPU device through Dawn (npm `webgpu`): the hardware adapter first (Dawn's default
 * backend: Vulkan / Metal / D3D12), then the software one (OpenGL ES over Mesa's llvmpipe).
 * Only limits the adapter reports are requested. Device loss and uncaptured errors are recorded
 * so that the next call fails with a typed GpuDeviceError instead of hanging.
 */
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
 * Every GPU instance ever created stays referenced: Dawn's event loop keeps polling an instance
 * after its JS object is collected, which aborted the process (std::system_error in ProcessEvents).
 */
const instances: GPU[] = [];

async function tryAdapter(flags: string[], options: GPURequestAdapterOptions | undefined): Promise<GPUAdapter | null> {
  try {
    const gpu = create(flags);
    instances.push(gpu);
    return await gpu.requestAdapter(options);
  } catch {
    return null;
  }
}

export async function openDevice(): Promise<GpuDevice> {
  // Kernel timings want the GPU's clock at full precision (Dawn quantizes timestamps by default).
  let adapter = await tryAdapter(['disable-dawn-features=timestamp_quantization'], undefined);
  let backend = 'default';
  let software = false;
  if (!adapter || adapter.info?.vendor === 'mesa' && /llvmpipe|lavapipe/i.test(adapter.info.description ?? '')) {
    // The software adapter: Dawn's OpenGL ES backend on a surfaceless EGL display.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const soft = await tryAdapter(['backend=opengles'], { featureLevel: 'compatibility' });
    if (soft) {
      adapter = soft;
      backend = 'opengles';
      software = true;
    }
  }
  if (!adapter) throw new GpuUnavailableError(INSTALL_HINT);
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
