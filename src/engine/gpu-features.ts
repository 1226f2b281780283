/**
 * The WebGPU device features thinkrl asks for, and what the device ended up with. Browser-safe (no Node module).
 *
 * jax-js 0.1.25 requests only `shader-f16` and `timestamp-query` when it creates its device. thinkrl also wants
 * `subgroups` and `chromium-experimental-subgroup-matrix` (NVIDIA's cooperative matrices: the tensor-core path) where
 * the adapter offers them, so `requestGpuFeatures` wraps `navigator.gpu.requestAdapter` before jax-js starts: the
 * adapter it returns adds those names to `requiredFeatures` in `requestDevice`. No jax-js source changes for this.
 *
 * On NVIDIA through Dawn (npm `webgpu`), `shader-f16` is withheld unless the Dawn toggle `vulkan_enable_f16_on_nvidia`
 * is on (`DAWN_FEATURE_FLAGS` in `init.ts`); with it the adapter lists `shader-f16` and subgroup-matrix configurations
 * with f16 inputs (measured on the H200, docs/benchmarks.md).
 */

/** Features requested beyond jax-js's own when the adapter has them. */
export const EXTRA_GPU_FEATURES = ["shader-f16", "subgroups", "chromium-experimental-subgroup-matrix"] as const;

/** What the WebGPU device was created with (for benchmarks and `--device webgpu` diagnostics). */
export interface GpuFeatureReport {
  /** Adapter vendor / architecture / description as the adapter reports them. */
  adapter: string;
  /** Features the adapter offers. */
  adapterFeatures: string[];
  /** Features the device was created with. */
  deviceFeatures: string[];
  /** `adapter.info.subgroupMatrixConfigs` as `componentType→resultType M×N×K` (empty when absent). */
  subgroupMatrixConfigs: string[];
}

interface AdapterLike {
  features: Set<string>;
  info?: { vendor?: string; architecture?: string; description?: string; subgroupMatrixConfigs?: { componentType: string; resultComponentType: string; M: number; N: number; K: number }[] };
  requestDevice(desc?: { requiredFeatures?: string[] } & Record<string, unknown>): Promise<{ features: Set<string> }>;
}
interface GpuLike {
  requestAdapter(opts?: unknown): Promise<AdapterLike | null>;
}

let report: GpuFeatureReport | null = null;

/**
 * Wraps `navigator.gpu.requestAdapter` (once) so that devices are created with `EXTRA_GPU_FEATURES` where the adapter
 * has them, and records the result for `gpuFeatureReport`. A no-op without `navigator.gpu`.
 */
export function requestGpuFeatures(): void {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike & { __thinkrlWrapped?: boolean } } }).navigator;
  const gpu = nav?.gpu;
  if (!gpu || gpu.__thinkrlWrapped) return;
  const original = gpu.requestAdapter.bind(gpu);
  const wrapped = async (opts?: unknown): Promise<AdapterLike | null> => {
    const adapter = await original(opts);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    const extra = EXTRA_GPU_FEATURES.filter((f) => adapter.features.has(f));
    const withFeatures = async (desc: Parameters<AdapterLike["requestDevice"]>[0] = {}) => {
      const features = [...new Set([...(desc.requiredFeatures ?? []), ...extra])];
      const device = await requestDevice({ ...desc, requiredFeatures: features });
      const info = adapter.info ?? {};
      // jax-js patch 208 reads the configurations from `device.adapterInfo`; this is its fallback where a device
      // object lacks them.
      (globalThis as { __jaxjsWebgpuSubgroupMatrixConfigs?: unknown }).__jaxjsWebgpuSubgroupMatrixConfigs = [...(info.subgroupMatrixConfigs ?? [])];
      report = {
        adapter: [info.vendor, info.architecture, info.description].filter((x) => x).join(" / "),
        adapterFeatures: [...adapter.features].sort(),
        deviceFeatures: [...device.features].sort(),
        subgroupMatrixConfigs: (info.subgroupMatrixConfigs ?? []).map((c) => `${c.componentType}→${c.resultComponentType} ${c.M}×${c.N}×${c.K}`),
      };
      return device;
    };
    // The adapter object may be frozen or a native wrapper: return a proxy that overrides only requestDevice.
    return new Proxy(adapter, {
      get(target, prop) {
        if (prop === "requestDevice") return withFeatures;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  try {
    Object.defineProperty(gpu, "requestAdapter", { value: wrapped, configurable: true });
    Object.defineProperty(gpu, "__thinkrlWrapped", { value: true, configurable: true });
  } catch {
    // a read-only navigator.gpu: jax-js's own feature list applies
  }
}

/** The features of the WebGPU device jax-js created (null before a WebGPU device was created through the wrapper). */
export function gpuFeatureReport(): GpuFeatureReport | null {
  return report;
}
