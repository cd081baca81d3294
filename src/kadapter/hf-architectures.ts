// Which transformers class a written checkpoint folder may name in config.json `architectures`.
// A task class (…ForMaskedLM) is kept only where every tensor it loads is in the file; otherwise
// transformers would initialise the missing ones at random on load, silently. The base class
// (BertModel, …) is what is left.
import type { ModelType } from './encoder-config.ts';

interface Family {
  /** Class-name stem: `${stem}Model`, `${stem}ForMaskedLM`, … */
  stem: string;
  /** Where the task classes keep the encoder (transformers' base_model_prefix). */
  prefix: string;
  /** Tensors of each task head, named from the root of the file; DECODER marks a tied-or-stored LM decoder. */
  heads: Record<string, string[]>;
}

const DECODER = '<decoder>';
const lin = (n: string) => [`${n}.weight`, `${n}.bias`];

const BERT_MLM = [
  ...lin('cls.predictions.transform.dense'),
  ...lin('cls.predictions.transform.LayerNorm'),
  'cls.predictions.bias',
  DECODER,
];
const ROBERTA_MLM = [...lin('lm_head.dense'), ...lin('lm_head.layer_norm'), 'lm_head.bias', DECODER];
const pooler = (prefix: string) => lin(`${prefix}pooler.dense`);

const BERT: Family = {
  stem: 'Bert',
  prefix: 'bert.',
  heads: {
    ForMaskedLM: BERT_MLM,
    ForPreTraining: [...BERT_MLM, ...lin('cls.seq_relationship'), ...pooler('bert.')],
    ForNextSentencePrediction: [...lin('cls.seq_relationship'), ...pooler('bert.')],
    ForSequenceClassification: [...lin('classifier'), ...pooler('bert.')],
    ForMultipleChoice: [...lin('classifier'), ...pooler('bert.')],
    ForTokenClassification: lin('classifier'),
    ForQuestionAnswering: lin('qa_outputs'),
  },
};
const robertaLike = (stem: string): Family => ({
  stem,
  prefix: 'roberta.',
  heads: {
    ForMaskedLM: ROBERTA_MLM,
    ForSequenceClassification: [...lin('classifier.dense'), ...lin('classifier.out_proj')],
    ForMultipleChoice: [...lin('classifier'), ...pooler('roberta.')],
    ForTokenClassification: lin('classifier'),
    ForQuestionAnswering: lin('qa_outputs'),
  },
});

const FAMILIES: Record<ModelType, Family> = {
  bert: BERT,
  roberta: robertaLike('Roberta'),
  'xlm-roberta': robertaLike('XLMRoberta'),
  camembert: robertaLike('Camembert'),
};

/** The LM decoder's stored name in a task checkpoint of this family. */
export function decoderName(modelType: ModelType): string {
  return FAMILIES[modelType].prefix === 'bert.' ? 'cls.predictions.decoder.weight' : 'lm_head.decoder.weight';
}

/** Whether transformers ties the LM decoder to the word embeddings for this config (its default: yes). */
export function tiesWordEmbeddings(config: Record<string, unknown>): boolean {
  return config.tie_word_embeddings !== false;
}

/**
 * The classes of `config.architectures` whose tensors are all among `names` (the file's tensors,
 * the encoder under `prefix`); the family's base class when none is.
 */
export function architecturesFor(
  modelType: ModelType,
  config: Record<string, unknown>,
  names: ReadonlySet<string>,
  prefix: string,
): string[] {
  const family = FAMILIES[modelType];
  const base = `${family.stem}Model`;
  const claimed = Array.isArray(config.architectures) ? config.architectures.filter((a) => typeof a === 'string') : [];
  const complete = (arch: string): boolean => {
    if (arch === base) return true;
    const head = arch.startsWith(family.stem) ? family.heads[arch.slice(family.stem.length)] : undefined;
    if (!head || prefix !== family.prefix) return false;
    return head.every((n) =>
      n === DECODER ? tiesWordEmbeddings(config) || names.has(decoderName(modelType)) : names.has(n),
    );
  };
  const kept = claimed.filter(complete);
  return kept.length > 0 ? kept : [base];
}
