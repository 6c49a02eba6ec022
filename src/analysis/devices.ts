/**
 * Device profiles for the roofline (analysis/roofline.ts): peak arithmetic per element type in
 * operations per second (FLOP/s; int8 in integer ops/s, a multiply-accumulate counting 2) and
 * memory bandwidth in bytes per second (decimal: 1 GB/s = 1e9 B/s). Every built-in figure names
 * its document, or the arithmetic from documented quantities when the document gives none. Dense
 * peaks only: NVIDIA's 2:4 structured-sparsity figures (twice the dense ones) are not used.
 *
 * A dtype a device has no arithmetic for (bfloat16 on an Armv8.2-A core) falls back to the
 * float32 peak, which every profile must give; the roofline says so (`fallback`). The bytes stay
 * those of the requested dtype: the tensors are stored in it and converted on load.
 *
 * The Arm cores (Cortex-A76, Cortex-A78): two 128-bit Advanced SIMD pipelines that each start one
 * fused multiply-add per cycle (FMLA Q-form, throughput 2 per cycle in Arm's Software Optimization
 * Guides). One Q-form FMLA is 4 float32 lanes × 2 FLOP, or 8 float16 lanes × 2 FLOP (Armv8.2-A
 * half-precision arithmetic); one SDOT (Armv8.2-A dot product) is 16 int8 multiply-accumulates,
 * 32 ops. Per core and cycle: 16 FLOP float32, 32 FLOP float16, 64 ops int8. bfloat16 arithmetic
 * (BFDOT, BFMMLA) is Armv8.6-A: neither core has it.
 */
import { z } from 'zod';
import { ConvlensError, jsonPath } from '../errors.js';
import { closest } from '../suggest.js';
import { valueAt } from '../records.js';
import type { Dtype } from './report.js';

/**
 * A rate per second, from 1 to 1e24: a profile's figures divide the report's counts, so a peak of
 * 1e-300 would make every latency Infinity; the fastest machines run about 1e18 FLOP/s.
 */
const Peak = z.number().min(1).max(1e24);

export const DeviceProfileSchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('what the figures describe, e.g. "my-npu"'),
    peaks: z
      .strictObject({
        float32: Peak.describe('FLOP/s at float32 (required: the fallback for element types the device lacks)'),
        float16: Peak.optional().describe('FLOP/s at float16'),
        bfloat16: Peak.optional().describe('FLOP/s at bfloat16'),
        int8: Peak.optional().describe('integer ops/s at int8 (a multiply-accumulate counts 2)'),
      })
      .describe('peak arithmetic per element type; a missing type falls back to float32'),
    bandwidth: Peak.describe('memory bandwidth in bytes/s'),
    description: z.string().max(1000).optional(),
    source: z.string().max(2000).optional().describe('where the figures come from'),
  })
  .describe('A device for the roofline: peak operations per second per element type and memory bandwidth');
export type DeviceProfile = z.infer<typeof DeviceProfileSchema>;

export interface DeviceSource {
  title: string;
  url: string;
}

export interface BuiltInDevice extends DeviceProfile {
  /** What a request names: `?device=a100-sxm4-40gb`. */
  id: string;
  kind: 'datacenter-gpu' | 'edge-gpu' | 'phone-cpu-core' | 'board-cpu';
  /** How each figure was obtained (quoted from the source, or the arithmetic). */
  derivation: Partial<Record<Dtype | 'bandwidth', string>>;
  sources: DeviceSource[];
}

const GB = 1e9;
const T = 1e12;

/** Two 128-bit FMA pipes: FLOP (ops for int8) per core per cycle, as the header derives them. */
const ARM_PER_CYCLE = { float32: 2 * 4 * 2, float16: 2 * 8 * 2, int8: 2 * 16 * 2 } as const;

const A100: BuiltInDevice = {
  id: 'a100-sxm4-40gb',
  name: 'NVIDIA A100 SXM4 40GB',
  kind: 'datacenter-gpu',
  description: 'Data-centre GPU (Ampere GA100, 108 SMs, 1410 MHz boost, HBM2)',
  peaks: { float32: 19.5 * T, float16: 312 * T, bfloat16: 312 * T, int8: 624 * T },
  bandwidth: 1555 * GB,
  derivation: {
    float32: 'FP32 19.5 TFLOPS (CUDA cores). Convolutions that cuDNN runs in TF32 (PyTorch allows it by default for convolutions) reach up to 156 TFLOPS; give a custom profile for that',
    float16: 'FP16 Tensor Core 312 TFLOPS (dense; 624 with sparsity)',
    bfloat16: 'BFLOAT16 Tensor Core 312 TFLOPS (dense; 624 with sparsity)',
    int8: 'INT8 Tensor Core 624 TOPS (dense; 1248 with sparsity)',
    bandwidth: 'GPU memory bandwidth 1,555 GB/s (40GB HBM2)',
  },
  sources: [
    { title: 'NVIDIA A100 Tensor Core GPU datasheet', url: 'https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf' },
    { title: 'NVIDIA A100 Tensor Core GPU Architecture (whitepaper)', url: 'https://images.nvidia.com/aem-dam/en-zz/Solutions/data-center/nvidia-ampere-architecture-whitepaper.pdf' },
  ],
};

const ORIN_NANO: BuiltInDevice = {
  id: 'jetson-orin-nano-8gb',
  name: 'NVIDIA Jetson Orin Nano 8GB',
  kind: 'edge-gpu',
  description: 'Edge GPU module (Ampere, 1024 CUDA cores, 32 Tensor Cores, 625 MHz, 8GB 128-bit LPDDR5), 15 W mode; the later "Super" mode raises the clocks (1020 MHz, 102 GB/s)',
  peaks: { float32: 1024 * 2 * 625e6, float16: 10 * T, bfloat16: 10 * T, int8: 20 * T },
  bandwidth: 68 * GB,
  derivation: {
    float32: '1024 CUDA cores × 2 FLOP (one FMA) × 625 MHz maximum GPU frequency = 1.28 TFLOPS',
    float16: 'half the dense INT8 rate on Ampere Tensor Cores (as the A100 datasheet: 312 FP16 vs 624 INT8): 20 / 2 = 10 TFLOPS',
    bfloat16: 'Ampere Tensor Cores run BF16 at the FP16 rate: 10 TFLOPS',
    int8: 'up to 40 (sparse) INT8 TOPS and 20 (dense) INT8 TOPS',
    bandwidth: '8GB 128-bit LPDDR5, 68 GB/s',
  },
  sources: [
    { title: 'NVIDIA Jetson Orin Nano Series Data Sheet (DS-11105-001)', url: 'https://developer.nvidia.com/embedded/downloads' },
    { title: 'NVIDIA Jetson Orin modules: technical specifications', url: 'https://www.nvidia.com/en-us/autonomous-machines/embedded-systems/jetson-orin/' },
  ],
};

const A78_HZ = 3.0e9;
const A78: BuiltInDevice = {
  id: 'cortex-a78-3ghz',
  name: 'Arm Cortex-A78 core @ 3.0 GHz (phone)',
  kind: 'phone-cpu-core',
  description: 'One phone CPU core: the Cortex-A78 prime core of a MediaTek Dimensity 1200 (3.0 GHz) with the SoC\'s LPDDR4X; one core cannot draw the whole bus, so the memory roof is optimistic',
  peaks: { float32: ARM_PER_CYCLE.float32 * A78_HZ, float16: ARM_PER_CYCLE.float16 * A78_HZ, int8: ARM_PER_CYCLE.int8 * A78_HZ },
  bandwidth: 4266e6 * 8,
  derivation: {
    float32: '2 FMA pipes × 4 lanes × 2 FLOP = 16 FLOP/cycle × 3.0 GHz = 48 GFLOPS',
    float16: '2 FMA pipes × 8 lanes × 2 FLOP = 32 FLOP/cycle × 3.0 GHz = 96 GFLOPS',
    bfloat16: 'not supported (Armv8.2-A core; BFloat16 instructions are Armv8.6-A): falls back to float32',
    int8: '2 pipes × SDOT 16 MACs × 2 ops = 64 ops/cycle × 3.0 GHz = 192 GOPS',
    bandwidth: 'LPDDR4X-4266 (2133 MHz) on 4 × 16-bit channels: 4266 MT/s × 8 bytes = 34.1 GB/s',
  },
  sources: [
    { title: 'Arm Cortex-A78 Core Software Optimization Guide', url: 'https://developer.arm.com/documentation/102160/latest/' },
    { title: 'MediaTek Dimensity 1200 (1× Cortex-A78 up to 3.0 GHz, LPDDR4X 2133 MHz)', url: 'https://www.mediatek.com/products/smartphones/dimensity-1200' },
  ],
};

const PI5_CORES = 4;
const PI5_HZ = 2.4e9;
const PI5: BuiltInDevice = {
  id: 'raspberry-pi-5',
  name: 'Raspberry Pi 5 (4× Cortex-A76 @ 2.4 GHz)',
  kind: 'board-cpu',
  description: 'Single-board computer: Broadcom BCM2712, four Cortex-A76 cores at 2.4 GHz, 32-bit LPDDR4X-4267',
  peaks: {
    float32: PI5_CORES * ARM_PER_CYCLE.float32 * PI5_HZ,
    float16: PI5_CORES * ARM_PER_CYCLE.float16 * PI5_HZ,
    int8: PI5_CORES * ARM_PER_CYCLE.int8 * PI5_HZ,
  },
  bandwidth: 4267e6 * 4,
  derivation: {
    float32: '4 cores × 2 NEON FMA pipes × 4 FP32 lanes × 2 FLOP × 2.4 GHz = 153.6 GFLOPS',
    float16: '4 cores × 2 pipes × 8 FP16 lanes × 2 FLOP × 2.4 GHz = 307.2 GFLOPS',
    bfloat16: 'not supported (Cortex-A76 is Armv8.2-A; BFloat16 instructions are Armv8.6-A): falls back to float32',
    int8: '4 cores × 2 pipes × SDOT 16 MACs × 2 ops × 2.4 GHz = 614.4 GOPS',
    bandwidth: '32-bit LPDDR4X at 4267 MT/s: 4267e6 × 4 bytes = 17.07 GB/s',
  },
  sources: [
    { title: 'Raspberry Pi 5 product brief', url: 'https://datasheets.raspberrypi.com/rpi5/raspberry-pi-5-product-brief.pdf' },
    { title: 'Introducing: Raspberry Pi 5! (Raspberry Pi blog, 32-bit LPDDR4X at 4267 MT/s)', url: 'https://www.raspberrypi.com/news/introducing-raspberry-pi-5/' },
    { title: 'Arm Cortex-A76 Software Optimization Guide', url: 'https://developer.arm.com/documentation/pjdoc466751330-7215/latest/' },
  ],
};

for (const d of [A100, ORIN_NANO, A78, PI5]) d.source = d.sources.map((s) => `${s.title} <${s.url}>`).join('; ');

export const DEVICES: readonly BuiltInDevice[] = [A100, ORIN_NANO, A78, PI5];
export const DEVICES_BY_ID: ReadonlyMap<string, BuiltInDevice> = new Map(DEVICES.map((d) => [d.id, d]));

/**
 * A device by built-in id, or a custom profile (validated). An unknown id or an invalid profile is
 * INVALID_OPTION at `path`, with the closest id.
 */
export function resolveDevice(device: unknown, path = '$.device'): DeviceProfile | BuiltInDevice {
  if (typeof device === 'string') {
    const found = DEVICES_BY_ID.get(device);
    if (found) return found;
    const near = closest(device, DEVICES.map((d) => d.id));
    // the command line's --device takes a profile as a file, a request's device as an object
    const custom = path.startsWith('--') ? `a profile file, ${path} my-device.json` : 'a profile {name, peaks: {float32, …}, bandwidth}';
    throw new ConvlensError(
      'INVALID_OPTION',
      `no device profile '${device}'${near ? `; did you mean '${near}'?` : ''} (built in: ${DEVICES.map((d) => d.id).join(', ')}; or give ${custom})`,
      { path, ...(near ? { suggestion: near } : {}) },
    );
  }
  const parsed = DeviceProfileSchema.safeParse(device);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = path + jsonPath(issue.path).slice(1);
  // a field left out: said so, not zod's "expected number, received undefined" (the command line printed it)
  const why = valueAt(device, issue.path) === undefined && issue.path.length > 0 ? `${jsonPath(issue.path).slice(2)} is required` : `${issue.message} at ${at}`;
  throw new ConvlensError('INVALID_OPTION', `device profile: ${why}`, { path: at });
}
