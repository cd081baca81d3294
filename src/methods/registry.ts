// Ways of adapting a frozen base, as registered modules (PEFT's register_peft_method): each method
// owns its config and schema, its initialisation, where it hooks into the forward pass, its
// trainable variables by saved name, and the compositions it supports. Generic code — the
// knowledge training, adapter folders, the library API, `encode` and evaluation — reaches a method
// only through this registry, by the name its files carry (adapter_config.json `config.architecture`).
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Config } from '../config/schema.ts';
import type { CombineKind } from '../data/composition.ts';
import { UsageError } from '../util/errors.ts';

/** What a method needs to know of the base it adapts. */
export interface BaseShape {
  hidden: number;
  layers: number;
  layerNormEps: number;
}

/** Options of one forward pass of a side network. */
export interface SideForwardOptions {
  /** Method-defined parts knocked out (K-Adapter: adapter layers whose block is dropped); an ablation. */
  leaveOut?: readonly number[];
  /** The caller reads token positions only: position-wise layers may skip padding (same values at tokens). */
  realTokensOnly?: boolean;
}

/** One adapter of a method: its settings and weights, bound together. */
export interface Adapter {
  readonly method: string;
  /** The method's settings (its own config type; validated by its schema). */
  readonly config: unknown;
  /** Base layers (0 = embeddings) whose hidden states the adapter reads: a feature cache holds them. */
  readonly readLayers: readonly number[];
  /** Trainable variables by the names saved in adapter.safetensors. */
  variables(): Record<string, tf.Variable>;
  /** Output [B, T, H] from the base's states (indexed by layer; only readLayers are touched) and mask [B, T]. */
  forward(states: (tf.Tensor3D | undefined)[], mask: tf.Tensor2D, opts?: SideForwardOptions): tf.Tensor3D;
  /** The adapter's path without its trained blocks (what every untrained draw is near): `delta` subtracts it. */
  residual(states: (tf.Tensor3D | undefined)[]): tf.Tensor3D;
  dispose(): void;
}

/**
 * A way of adapting a frozen base. `side` methods are networks beside the base that read its
 * hidden states (K-Adapter): they train on cached features. Methods inside the base's layers
 * (bottleneck adapters, LoRA, prefixes) hook into the encoder's forward pass instead; the hook
 * type is theirs to add with the first such method.
 */
export interface AdaptationMethod<C = unknown> {
  /** The name adapter folders carry (`config.architecture`). */
  readonly name: string;
  /** How reports name its adapters (`K-Adapter F+L`). */
  readonly title: string;
  /** One line: what it is and its paper. */
  readonly description: string;
  readonly placement: 'side';
  /** The combinations of the downstream task layers its outputs support. */
  readonly compositions: readonly CombineKind[];
  /** The settings themselves (a row's untrained draw holds them). */
  readonly configSchema: z.ZodType<C>;
  /** The settings as adapter_config.json's `config` holds them (with `architecture`), read as the settings. */
  readonly fileSchema: z.ZodType<C>;
  /** The settings a profile gives for a base (config.adapters). */
  configFor(config: Config, base: BaseShape): C;
  /** Base layers (0 = embeddings) an adapter of these settings reads. */
  readLayers(config: C): readonly number[];
  /** A fresh adapter, seeded. */
  create(config: C, seed: number): Adapter;
  /** adapter_config.json's `config`: the settings and what the code fixes, for other readers. */
  fileConfig(config: C): Record<string, unknown> & { architecture: string };
  /** Why these settings cannot sit on this base, or null. */
  baseMismatch(config: C, base: BaseShape): string | null;
}

const METHODS = new Map<string, AdaptationMethod>();

/** Registers a method once; a second registration of a name is a programming error. */
export function registerMethod<C>(m: AdaptationMethod<C>): void {
  if (METHODS.has(m.name)) throw new Error(`adaptation method ${m.name} is registered twice`);
  METHODS.set(m.name, m as unknown as AdaptationMethod);
}

/** The registered method of that name, or a usage error that lists them. */
export function method(name: string): AdaptationMethod {
  const m = METHODS.get(name);
  if (!m) throw new UsageError(`unknown adaptation method "${name}"; registered: ${methodNames().join(', ')}`);
  return m;
}

export const methodNames = (): string[] => [...METHODS.keys()];

/** An adapter of the method its settings name, from settings validated by that method's schema. */
export function createAdapter(settings: { architecture: string } & Record<string, unknown>, seed: number): Adapter {
  const m = method(settings.architecture);
  return m.create(m.fileSchema.parse(settings), seed);
}

/** An untrained draw of a method's adapter from its plain settings (a row's random control). */
export function drawAdapter(methodName: string, settings: unknown, seed: number): Adapter {
  const m = method(methodName);
  return m.create(m.configSchema.parse(settings), seed);
}
