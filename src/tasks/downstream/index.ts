// The registered downstream tasks: importing this module registers each built-in one once. Generic
// code imports the registry from here, so that the built-in tasks are there whenever it asks.
import { entityTypingTask } from './entity-typing.ts';
import { posTask } from './pos.ts';
import { registerDownstreamTask } from './registry.ts';
import { relationTask } from './relation.ts';

registerDownstreamTask(entityTypingTask);
registerDownstreamTask(relationTask);
registerDownstreamTask(posTask);

export {
  downstreamTask,
  downstreamTaskNames,
  findDownstreamTask,
  registerDownstreamTask,
  SetProvenance,
} from './registry.ts';
export type {
  BuildSet,
  BuiltSet,
  Candidate,
  DownstreamTask,
  Encoding,
  FolderSets,
  IdFiles,
  MetricCounts,
  Scores,
  TaskExample,
} from './registry.ts';
