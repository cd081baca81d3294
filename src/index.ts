// The kadapter library: load a base, load and compose adapters, encode text, train an adapter from
// JSON Lines, score a task file. The `kadapter` command is built on these.
export { backendInUse, disposeBaseModel, loadBase, type BaseModel, type LoadBaseOptions } from './api/base.ts';
export {
  loadAdapter,
  readAdapterConfig,
  type AdapterFileConfig,
  type LoadAdapterOptions,
  type LoadedAdapter,
} from './api/adapters.ts';
export {
  adapterComponent,
  compose,
  disposeComposition,
  type CombineKind,
  type Component,
  type ComposeOptions,
  type Composition,
} from './api/compose.ts';
export {
  encode,
  encodeStream,
  POOLINGS,
  type EncodedInput,
  type EncodeInput,
  type EncodeOptions,
  type Pooling,
} from './api/encode.ts';
export {
  trainAdapterFromJsonl,
  type AdapterTask,
  type TrainAdapterOptions,
  type TrainedAdapterRun,
} from './api/train.ts';
export { scoreTaskFile, type ScoredTask, type ScoreOptions, type TaskFileScore } from './api/score.ts';
export { exportKAdapter, importKAdapter, type KAdapterImport } from './api/convert.ts';
export {
  downstreamTask,
  downstreamTaskNames,
  knowledgeTask,
  knowledgeTasks,
  method,
  methodNames,
  registerDownstreamTask,
  registerKnowledgeTask,
  registerMethod,
  type AdaptationMethod,
  type Adapter,
  type BaseShape,
  type DownstreamTask,
  type HeadSettings,
  type KnowledgeTask,
  type SideForwardOptions,
} from './api/extend.ts';
