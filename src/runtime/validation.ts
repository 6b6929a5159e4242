import { validator, type OperationDef, type TObject, type Validator } from '../contract/index.js';
import { SwitchyardError } from '../errors/index.js';
import type { Call, Interceptor } from './call.js';

interface OperationValidators {
  input: Validator;
  output: Validator;
}

const perOperation = new WeakMap<OperationDef, OperationValidators>();

function validatorsOf(def: OperationDef): OperationValidators {
  let found = perOperation.get(def);
  if (!found) {
    found = { input: validator(def.input), output: validator(def.output) };
    perOperation.set(def, found);
  }
  return found;
}

/**
 * Validation at a boundary: fill defaults and check the input, then check the output. The server
 * side rejects its own bad output as a bug; the client side of a remote call rejects a bad input
 * before it leaves the process and accepts any response that has what it knows about (tolerant
 * reader: unknown fields are ignored, not rejected).
 */
function validation(badOutput: string): Interceptor {
  return (next) => async (call) => {
    const { input, output: out } = validatorsOf(call.def);
    call.input = checked(input, call.input, call);
    const output = await next(call);
    if (!out.check(output))
      throw new SwitchyardError('INTERNAL', `${call.contract.name}.${call.operation} ${badOutput}`, {
        details: { violations: out.violations(output) },
      });
    return output;
  };
}

export const validateInbound: Interceptor = validation('produced an invalid response');
export const validateOutbound: Interceptor = validation('returned a response this client cannot read');

function checked(v: Validator, input: unknown, call: Call): unknown {
  const value = v.withDefaults(input);
  if (!v.check(value))
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `Invalid input for ${call.contract.name}.${call.operation}`,
      {
        details: { violations: v.violations(value) },
      },
    );
  return value;
}

export function checkInput(schema: TObject, input: unknown, what: string): unknown {
  const v = validator(schema);
  const value = v.withDefaults(input);
  if (!v.check(value))
    throw new SwitchyardError('INVALID_ARGUMENT', `Invalid input for ${what}`, {
      details: { violations: v.violations(value) },
    });
  return value;
}
