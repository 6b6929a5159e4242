import { describe } from 'node:test';
import { channelCases } from './channel-cases.js';
import { suiteContext, type BrokerHarness } from './context.js';
import { deliveryCases } from './delivery-cases.js';
import { failureCases } from './failure-cases.js';
import { groupCases } from './group-cases.js';
import { lagCases } from './lag-cases.js';
import { lifecycleCases } from './lifecycle-cases.js';
import { peekCases } from './peek-cases.js';

export type { BrokerHarness, SuiteCapabilities } from './context.js';

/**
 * The conformance suite every broker adapter runs against its real engine: ordering, one in flight
 * per partition, competing consumers, fan-out, durability, redelivery, declared groups, where a new
 * group starts, removing a group, takeover after
 * a SIGKILL, back-pressure, channel errors, peek, lag and an engine restart. A new adapter is done when
 * this passes. The cases live in one file per theme (`*-cases.ts`); `context.ts` documents the flags.
 */
export function describeBrokerAdapter(name: string, harness: BrokerHarness): void {
  const ctx = suiteContext(name, harness);
  describe(`broker adapter conformance: ${name}`, () => {
    deliveryCases(ctx);
    groupCases(ctx);
    lifecycleCases(ctx);
    channelCases(ctx);
    peekCases(ctx);
    lagCases(ctx);
    // Last: it restarts the engine.
    failureCases(ctx);
  });
}
