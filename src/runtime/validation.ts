import { validator, type TObject } from '../contract/index.js';
import { SwitchyardError } from '../errors/index.js';
import type { Interceptor } from './call.js';

/** Server side: fill defaults and check the input; check the output the handler produced. */
export const validateInbound: Interceptor = (next) => async (call) => {
  call.input = checkInput(call.def.input, call.input, `${call.contract.name}.${call.operation}`);
  const output = await next(call);
  const out = validator(call.def.output);
  if (!out.check(output))
    throw new SwitchyardError(
      'INTERNAL',
      `${call.contract.name}.${call.operation} produced an invalid response`,
      {
        details: { violations: out.violations(output) },
      },
    );
  return output;
};

/**
 * Client side of a remote call: reject a bad input before it leaves the process; accept any response
 * that has what the client knows about (tolerant reader: unknown fields are ignored, not rejected).
 */
export const validateOutbound: Interceptor = (next) => async (call) => {
  call.input = checkInput(call.def.input, call.input, `${call.contract.name}.${call.operation}`);
  const output = await next(call);
  const out = validator(call.def.output);
  if (!out.check(output))
    throw new SwitchyardError(
      'INTERNAL',
      `${call.contract.name}.${call.operation} returned a response this client cannot read`,
      {
        details: { violations: out.violations(output) },
      },
    );
  return output;
};

export function checkInput(schema: TObject, input: unknown, what: string): unknown {
  const v = validator(schema);
  const value = v.withDefaults(input);
  if (!v.check(value))
    throw new SwitchyardError('INVALID_ARGUMENT', `Invalid input for ${what}`, {
      details: { violations: v.violations(value) },
    });
  return value;
}
