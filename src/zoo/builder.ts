/**
 * A small builder for network specs, so zoo models are written as generator functions (stages,
 * blocks) mirroring torchvision's module structure and names, not pasted layer lists.
 */
import { ConvlensError } from '../errors.js';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { Shape } from '../ops/types.js';

import type { z } from 'zod';
import type { NetworkEnvelope } from '../graph/network.js';

export type Attrs = Record<string, unknown>;

/** How much a layer too small at this resolution scales its spatial axes to be built (analysis/stand-in.ts gives the analyzer's rule). */
const STAND_IN_FACTOR = 64;

/** A network spec as a client writes it: the input side of the spec's schema (graph/network.ts). */
export type NetworkSpec = z.input<typeof NetworkEnvelope>;

/** One layer: name, op, inputs and the op's attributes. */
export type LayerSpec = NetworkSpec['layers'][number];

export interface ConvOpts {
  stride?: number | [number, number];
  padding?: number | [number, number] | [number, number, number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

export class NetBuilder {
  readonly layers: LayerSpec[] = [];
  /** Every tensor's shape so far, from the ops' own shape rules (so a generator can ask for channels). */
  private readonly shapes = new Map<string, Shape>();
  /** Tensors after a layer that cannot be built at this resolution, with its error. */
  private readonly failures = new Map<string, ConvlensError>();
  /** Layers torchvision computes by a function call (F.relu, F.interpolate …), not a module: the spec's `functional`. */
  private readonly calls: string[] = [];
  /** Layers whose torchvision module is a subclass of the class their op names (Conv3DSimple(nn.Conv3d)): the spec's `subclassed`. */
  private readonly subclasses: string[] = [];

  constructor(
    readonly name: string,
    readonly input: { name: string; shape: number[] },
    readonly description?: string,
  ) {
    this.shapes.set(input.name, input.shape);
  }

  /** Adds a layer reading `inputs`; returns its name. */
  add(name: string, op: string, inputs: string | string[], attrs: Attrs = {}): string {
    this.layers.push({ name, op, inputs, ...attrs });
    const ins = typeof inputs === 'string' ? [inputs] : inputs;
    const def = OPS_BY_NAME.get(op);
    if (!def) throw new Error(`zoo builder: unknown op ${op}`);
    const parsed = def.attrs.parse(attrs);
    // the same catalog error the analyzer would raise (a resolution too small for the model)
    const fail = (code: ErrorCode, message: string, _field?: unknown, details: ErrorDetails = {}): never => {
      throw new ConvlensError(code, `layer '${name}': ${message}`, { ...details, layer: name });
    };
    const infer = (inputs: Shape[]) => def.infer({ layer: name, inputs, values: ins.map(() => null), attrs: parsed, fail });
    // after a layer that could not be built at this resolution, shapes are at the stand-in size
    let failure = ins.map((i) => this.failures.get(i)).find((f) => f !== undefined);
    let inferred: ReturnType<typeof infer>;
    try {
      inferred = infer(ins.map((i) => this.shape(i)));
    } catch (e) {
      if (!(e instanceof ConvlensError)) throw e;
      // after the stand-in, the layer that started it is what is wrong
      if (failure) throw failure;
      // a training-only head too small at this resolution (analysis/stand-in.ts): built at a stand-in
      // size so later layers know their channels; an error only if a declared output needs it (build)
      failure = e;
      try {
        inferred = infer(ins.map((i) => this.shape(i)).map((s) => (s.length >= 3 ? [s[0], s[1], ...s.slice(2).map((d) => d * STAND_IN_FACTOR)] : s)));
      } catch {
        throw e;
      }
    }
    inferred.outputs.forEach((shape, k) => {
      const tensor = k === 0 ? name : `${name}:${k}`;
      this.shapes.set(tensor, shape);
      if (failure) this.failures.set(tensor, failure);
    });
    return name;
  }

  shape(tensor: string): Shape {
    const s = this.shapes.get(tensor);
    if (s === undefined) throw new Error(`zoo builder: unknown tensor ${tensor}`);
    return s;
  }

  /** Channels (dimension 1) of a tensor. */
  ch(tensor: string): number {
    return this.shape(tensor)[1];
  }

  conv(name: string, x: string, outChannels: number, kernelSize: number | [number, number], o: ConvOpts = {}): string {
    return this.add(name, 'conv2d', x, { outChannels, kernelSize, ...o });
  }

  bn(name: string, x: string, eps?: number): string {
    return this.add(name, 'batchNorm2d', x, eps === undefined ? {} : { eps });
  }

  act(name: string, x: string, op: string, attrs: Attrs = {}): string {
    return this.add(name, op, x, attrs);
  }

  /** Marks layer `name` as a function call in torchvision's forward (module-hook tools see it so); returns it. */
  functional(name: string): string {
    this.calls.push(name);
    return name;
  }

  /** Marks layer `name` as a module of a subclass of its op's class in torchvision (tools that hook by exact type miss it); returns it. */
  subclassed(name: string): string {
    this.subclasses.push(name);
    return name;
  }

  /** conv → BN → activation, torchvision's Conv2dNormActivation (bias off, as BN follows). */
  convBnAct(prefix: string, x: string, out: number, k: number | [number, number], o: ConvOpts & { act?: string | null; eps?: number } = {}): string {
    const { act = 'relu', eps, ...convOpts } = o;
    const [kh, kw] = typeof k === 'number' ? [k, k] : k;
    const d = typeof convOpts.dilation === 'number' ? convOpts.dilation : 1;
    const padding = convOpts.padding ?? (kh === kw ? (d * (kh - 1)) / 2 : [(kh - 1) / 2, (kw - 1) / 2]);
    let y = this.conv(`${prefix}.0`, x, out, k, { bias: false, ...convOpts, padding: padding as ConvOpts['padding'] });
    y = this.bn(`${prefix}.1`, y, eps);
    return act ? this.act(`${prefix}.2`, y, act) : y;
  }

  /** Layers applied in order, named `${prefix}.${index}` as nn.Sequential names them. */
  sequential(prefix: string, x: string, steps: [op: string, attrs?: Attrs][], first = 0): string {
    steps.forEach(([op, attrs], i) => (x = this.add(`${prefix}.${first + i}`, op, x, attrs ?? {})));
    return x;
  }

  build(outputs?: string[]): NetworkSpec {
    // a layer too small at this resolution is an error when a declared output depends on it (all
    // layers without outputs); else it does not run, as a training-only head in eval mode
    const needed = new Set(outputs ?? this.layers.map((l) => l.name));
    for (const l of [...this.layers].reverse()) {
      if (!needed.has(l.name) && ![...needed].some((t) => t.startsWith(`${l.name}:`))) continue;
      const failure = this.failures.get(l.name);
      if (failure) throw failure;
      for (const i of typeof l.inputs === 'string' ? [l.inputs] : (l.inputs ?? [])) needed.add(i);
    }
    return {
      name: this.name,
      ...(this.description ? { description: this.description } : {}),
      inputs: [this.input],
      layers: this.layers,
      ...(outputs ? { outputs } : {}),
      ...(this.calls.length ? { functional: [...this.calls] } : {}),
      ...(this.subclasses.length ? { subclassed: [...this.subclasses] } : {}),
    };
  }
}

/** torchvision's _make_divisible: round to a multiple of `divisor`, never below 90% of v. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  const n = Math.max(minValue, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n < 0.9 * v ? n + divisor : n;
}

/**
 * A zoo model's input size: one side (square, as torchvision's crops) or [H, W] (a sweep's
 * non-square sizes). Layers whose attributes depend on it (a segmentation head's upsampling to the
 * input) read both sides, so a non-square model is built, not a square one with its input swapped.
 */
export type Resolution = number | readonly [number, number];

/** [H, W] of a resolution. */
export const sides = (resolution: Resolution): [number, number] => (typeof resolution === 'number' ? [resolution, resolution] : [resolution[0], resolution[1]]);

export function imageInput(resolution: Resolution, batch = 1, channels = 3) {
  return { name: 'input', shape: [batch, channels, ...sides(resolution)] };
}
