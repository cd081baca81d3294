// Extending kadapter from a program: a new way of adapting the base, a new knowledge task or a new
// downstream task is one module that registers itself here (src/methods, src/tasks).
export {
  method,
  methodNames,
  registerMethod,
  type AdaptationMethod,
  type Adapter,
  type BaseShape,
  type SideForwardOptions,
} from '../methods/index.ts';
export {
  knowledgeTask,
  knowledgeTasks,
  registerKnowledgeTask,
  type KnowledgeTask,
  type HeadSettings,
} from '../tasks/knowledge/index.ts';
export { downstreamTask, downstreamTaskNames, registerDownstreamTask } from '../tasks/downstream/index.ts';
export type { DownstreamTask } from '../tasks/downstream/registry.ts';
