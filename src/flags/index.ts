export type {
  AttributeValue,
  Condition,
  Evaluation,
  EvaluationContext,
  EvaluationErrorCode,
  FlagDefinition,
  FlagDocument,
  FlagValue,
  Reason,
  Rollout,
  TargetingRule,
} from './types.js';
export { createFlags, type FlagChange, type Flags, type FlagSink, type FlagSource } from './flags.js';
export type { FlagSourceSpec } from './sources.js';
export { parseFlagDefinition, parseFlagDocument } from './definition.js';
export { bucketOf } from './evaluate.js';
export { fileFlagSource, type FileFlagSourceOptions } from './file-source.js';
export { hubFlagSource, type HubFlagSourceOptions } from './hub-source.js';
export { switchyardProvider } from './openfeature.js';
