export { diffContracts, requiredBump, bumpRank, type DiffOptions } from './diff.js';
export { diffSchema, type Direction, type SchemaDiffOptions } from './schema-diff.js';
export { diffProtoNumbers } from './proto-diff.js';
export { checkContract, checkSnapshots, type CheckOptions, type CheckResult } from './check.js';
export { changeKinds, type Change, type ChangeClass, type ChangeKind, type ChangeKindInfo } from './rules.js';
export {
  formatChanges,
  formatDiff,
  formatCheck,
  plainStyle,
  type DiffReport,
  type ReportStyle,
} from './report.js';
