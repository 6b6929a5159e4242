// Placeholder until the protobuf numbering lands: declared order, no history.
import type { AnyContract } from './types.js';

export interface ProtoMessageNumbers {
  fields: Record<string, number>;
  reserved: number[];
}

export interface ProtoNumbering {
  messages: Record<string, ProtoMessageNumbers>;
}

export function assignFieldNumbers(_contract: AnyContract, _previous?: ProtoNumbering): ProtoNumbering {
  return { messages: {} };
}
