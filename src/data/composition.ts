// A row of the evaluation as data, in the manner of AdapterHub's Stack/Fuse/Average blocks: which
// base, which components beside its last layer, and how the task layers combine them. Rows are
// built as values, written as-is into every run's config and read back by `evaluate --run`.
import { z } from 'zod';

/**
 * Trained weights in an adapter folder, or an untrained draw of a method's adapter with the given
 * settings (the method's own; its schema checks them when the draw is made).
 */
export const AdapterWeightsRef = z.union([
  z.strictObject({ dir: z.string().min(1) }),
  z.strictObject({
    random: z.number().int(),
    /** The adaptation method (src/methods); rows written before there were several name none. */
    method: z.string().min(1).default('k-adapter'),
    config: z.record(z.string(), z.unknown()),
  }),
]);
export type AdapterWeightsRef = z.infer<typeof AdapterWeightsRef>;

export const AdapterComponent = z.strictObject({
  kind: z.literal('adapter'),
  /** The knowledge the adapter was trained for (factual, linguistic, or a user's name). */
  name: z.string().min(1),
  weights: AdapterWeightsRef,
  /** Adapter layers whose block is dropped (their residual path kept): an ablation. */
  leaveOut: z.array(z.number().int().min(0)).optional(),
  /**
   * `delta`: the adapter's output minus its residual path (the sum of the base states it reads), so
   * only what its blocks add, without the layer access that any adapter gets. Default `output`.
   */
  part: z.enum(['output', 'delta']).optional(),
});
export type AdapterComponent = z.infer<typeof AdapterComponent>;

/** The base's own hidden states at these layers, summed: what a random adapter reduces to. */
export const LayersComponent = z.strictObject({
  kind: z.literal('layers'),
  layers: z.array(z.number().int().min(0)).min(1),
});
export type LayersComponent = z.infer<typeof LayersComponent>;

/** A learned softmax-weighted mix of the base's states at these layers (ELMo; Tenney et al. 2019). */
export const ScalarMixComponent = z.strictObject({
  kind: z.literal('scalarMix'),
  layers: z.array(z.number().int().min(0)).min(2),
});
export type ScalarMixComponent = z.infer<typeof ScalarMixComponent>;

export const Component = z.discriminatedUnion('kind', [AdapterComponent, LayersComponent, ScalarMixComponent]);
export type Component = z.infer<typeof Component>;

export const COMBINE_KINDS = ['none', 'sum', 'concat'] as const;
export const CombineKind = z.enum(COMBINE_KINDS);
export type CombineKind = z.infer<typeof CombineKind>;

export const Row = z
  .strictObject({
    /** Names the row's runs (with the combination, unless none): runs/<task>[@<set>]/<id>[-<combine>]/seed-N. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a folder-safe id'),
    label: z.string().min(1),
    base: z.enum(['base', 'multitask']),
    components: z.array(Component),
    combine: CombineKind,
    /**
     * Which replicate of the row's weights (an adapter pre-training seed, or a random draw): a row
     * with trained or random adapters is run once per replicate, and its spread covers them.
     */
    replicate: z.number().int().min(1).optional(),
  })
  .refine((r) => (r.combine === 'none') === (r.components.length === 0), {
    message: 'combine is "none" exactly when the row has no components',
    path: ['combine'],
  });
export type Row = z.infer<typeof Row>;

export const TASK_LAYERS_FORMAT = 'kadapter-task-layers/1';

/**
 * <run>/task-layers/task_layers_config.json: what a row's task layers were trained on. Folders
 * (the base, adapter folders) are relative to the run's folder; a finetune run's base is its own
 * tuned copy, null when it was not kept.
 */
export const TaskLayersFile = z.strictObject({
  format: z.literal(TASK_LAYERS_FORMAT),
  /** The downstream task's name (src/tasks/downstream). */
  task: z.string().min(1),
  labels: z.array(z.string()).min(1),
  row: Row,
  base: z.strictObject({ dir: z.string().nullable(), name: z.string(), hidden: z.number().int().min(1) }),
});
export type TaskLayersFile = z.infer<typeof TaskLayersFile>;
