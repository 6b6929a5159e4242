import { parseArgs } from 'node:util';
import { hubResolver } from '../../discovery/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { reflectedService, reflectionClient } from '../../rpc/grpc/reflection-client.js';
import type { Io } from '../io.js';

/**
 * `switchyard call <service>.<operation> '<json>' [--hub URL] [--major N] [--timeout MS]`: calls an
 * operation of any registered service. The instance comes from the hub; what the operation takes and
 * returns comes from the instance itself, through gRPC server reflection, so no contract is needed here.
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      hub: { type: 'string', default: process.env.SWITCHYARD_HUB_URL ?? 'http://127.0.0.1:7070' },
      major: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
    },
  });
  const [target, body = '{}'] = positionals;
  const match = /^([a-z][a-z0-9-]*)\.([a-zA-Z][a-zA-Z0-9]*)$/.exec(target ?? '');
  if (!match) {
    io.err("usage: switchyard call <service>.<operation> '<json>' [--hub URL] [--major N] [--timeout MS]");
    return 2;
  }
  const [, service, operation] = match as unknown as [string, string, string];
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body) as Record<string, unknown>;
  } catch (error) {
    io.err(`switchyard call: the input is not JSON: ${(error as Error).message}`);
    return 2;
  }

  const resolver = hubResolver({ url: values.hub!, watch: false });
  try {
    const major = values.major === undefined ? undefined : Number(values.major);
    const instances = await resolver.resolve(service, major === undefined ? {} : { major });
    const instance = instances.find((i) => i.endpoints.grpc);
    if (!instance) throw new SwitchyardError('UNAVAILABLE', `No instance of ${service} serves gRPC`);
    const address = instance.endpoints.grpc!;
    const listing = await reflectionClient(address);
    const names = await listing.listServices().finally(() => listing.close());
    // The contract may set its own protobuf package; its service is named after the contract.
    const grpcName = names.find((name) => name.endsWith(`.${pascal(service)}`));
    if (!grpcName) throw new SwitchyardError('NOT_FOUND', `${address} does not serve ${service} over gRPC`);
    const client = await reflectedService(address, grpcName);
    try {
      const output = await client.call(pascal(operation), input, {
        deadline: Date.now() + Number(values.timeout),
      });
      io.out(JSON.stringify(output, null, 2));
      return 0;
    } finally {
      client.close();
    }
  } catch (error) {
    const e = SwitchyardError.from(error);
    io.err(`${e.code}: ${e.message}`);
    if (Object.keys(e.details).length > 0) io.err(JSON.stringify(e.details, null, 2));
    return 1;
  } finally {
    await resolver.close();
  }
}

function pascal(name: string): string {
  return name
    .split(/[-_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
