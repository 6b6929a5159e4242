export { codes, allCodes, isCode, codeFromGrpc, codeFromHttp, type Code, type CodeInfo } from './codes.js';
export {
  SwitchyardError,
  fromWire,
  isWireError,
  type ErrorDetails,
  type SwitchyardErrorOptions,
  type Violation,
  type WireError,
} from './switchyard-error.js';
export { toProblem, fromProblem, problemContentType, type Problem } from './problem.js';
