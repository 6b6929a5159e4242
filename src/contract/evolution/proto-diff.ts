import type { ProtoNumbering } from '../proto-numbering.js';
import { change, type Change } from './rules.js';

/**
 * Field numbers are the protobuf wire format: a field that changes number, or a new field that takes
 * a number an old field had, makes old peers decode the wrong field. Schema changes (a field removed)
 * are reported by the schema differ; this reports only what the numbers themselves do.
 */
export function diffProtoNumbers(
  old: ProtoNumbering | undefined,
  next: ProtoNumbering | undefined,
): Change[] {
  const changes: Change[] = [];
  const before = old?.messages ?? {};
  const after = next?.messages ?? {};
  for (const [message, numbers] of Object.entries(after)) {
    const previous = before[message];
    if (!previous) continue;
    const owners = new Map(Object.entries(previous.fields).map(([field, number]) => [number, field]));
    const reserved = new Set(previous.reserved);
    for (const [field, number] of Object.entries(numbers.fields)) {
      const at = `protobuf.${message}.${field}`;
      const was = previous.fields[field];
      if (was !== undefined) {
        if (was !== number)
          changes.push(change('proto-field-number-changed', at, `field number ${was} → ${number}`));
        continue;
      }
      const owner = owners.get(number);
      if (owner !== undefined)
        changes.push(change('proto-field-number-reused', at, `number ${number} belonged to field ${owner}`));
      else if (reserved.has(number))
        changes.push(change('proto-field-number-reused', at, `number ${number} was reserved`));
    }
  }
  return changes;
}
