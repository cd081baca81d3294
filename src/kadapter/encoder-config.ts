// The encoder's hyper-parameters, read from a Hugging Face `config.json` and checked once.
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

/** Families whose weights and maths this encoder implements (BERT layout; RoBERTa positions). */
export const MODEL_TYPES = ['bert', 'roberta', 'xlm-roberta', 'camembert'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

const HfConfig = z.looseObject({
  model_type: z.string(),
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  hidden_act: z.string().default('gelu'),
  max_position_embeddings: z.number().int().positive(),
  type_vocab_size: z.number().int().positive().default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  pad_token_id: z.number().int().nonnegative().default(0),
  position_embedding_type: z.string().default('absolute'),
});

export interface EncoderConfig {
  modelType: ModelType;
  vocabSize: number;
  hidden: number; // H
  layers: number; // L
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  /**
   * RoBERTa numbers positions from padTokenId + 1 and gives pads position padTokenId; BERT from 0.
   * The longest input is therefore maxPositions - positionOffset tokens.
   */
  positionOffset: number;
}

export function encoderConfigFrom(json: unknown, where: string): EncoderConfig {
  const parsed = HfConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${where}: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const c = parsed.data;
  if (!(MODEL_TYPES as readonly string[]).includes(c.model_type)) {
    throw new UserError(
      `${where}: model_type "${c.model_type}" is not supported (supported: ${MODEL_TYPES.join(', ')})`,
    );
  }
  // Only the exact-erf GELU of BERT and RoBERTa; a tanh approximation would break parity silently.
  if (c.hidden_act !== 'gelu')
    throw new UserError(`${where}: hidden_act "${c.hidden_act}" is not supported (only "gelu", the exact erf form)`);
  if (c.position_embedding_type !== 'absolute') {
    throw new UserError(
      `${where}: position_embedding_type "${c.position_embedding_type}" is not supported (only "absolute")`,
    );
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new UserError(
      `${where}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`,
    );
  }
  const modelType = c.model_type as ModelType;
  const robertaPositions = modelType !== 'bert';
  return {
    modelType,
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    maxPositions: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps,
    padTokenId: c.pad_token_id,
    positionOffset: robertaPositions ? c.pad_token_id + 1 : 0,
  };
}

/** Longest token sequence (special tokens included) the position table can number. */
export function maxSequenceLength(c: EncoderConfig): number {
  return c.maxPositions - c.positionOffset;
}
