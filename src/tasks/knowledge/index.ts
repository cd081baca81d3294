// The registered knowledge tasks: importing this module registers each built-in one once, in the
// order the pipeline lists them (the factual adapter's, then the linguistic adapter's).
import { dependencyTask } from './dependency.ts';
import { registerKnowledgeTask } from './registry.ts';
import { relationTask } from './relation.ts';

registerKnowledgeTask(relationTask);
registerKnowledgeTask(dependencyTask);

export {
  knowledgeTask,
  knowledgeTasks,
  pretrainingInputs,
  readHeadSettings,
  registerKnowledgeTask,
  taskOfAdapter,
} from './registry.ts';
export type { DevMetrics, DevScorer, HeadSettings, KnowledgeData, KnowledgeTask, Prediction } from './registry.ts';
