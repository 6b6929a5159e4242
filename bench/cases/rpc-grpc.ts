/**
 * gRPC through Switchyard (`grpcTransport` → `createGrpcServer`) against raw grpc-js with the same
 * protobuf message.
 */
import { grpcTransport, staticEndpoint } from '../../src/rpc/index.js';
import type { BenchCase, BenchGroup } from '../case.js';
import { startServer } from '../support/child.js';
import { rawGrpcClient, switchyardClient } from '../support/clients.js';
import { transportAbout, transportCases } from '../support/transport-cases.js';

const group = 'rpc-grpc';

export const cases: BenchCase[] = transportCases({
  label: 'gRPC',
  group,
  baselineName: 'raw grpc-js Client → grpc-js Server, protobufjs from the exported .proto',
  async open() {
    const [sy, raw] = await Promise.all([startServer('switchyard-grpc'), startServer('raw-grpc')]);
    const client = switchyardClient(grpcTransport({ endpoints: staticEndpoint(sy.address) }));
    const baseline = await rawGrpcClient(raw.address);
    return {
      switchyard: client.echo,
      baseline: baseline.echo,
      async close() {
        await Promise.all([client.close(), baseline.close()]);
        await Promise.all([sy.stop(), raw.stop()]);
      },
    };
  },
});

export const groups: BenchGroup[] = [
  {
    name: group,
    about: transportAbout(
      'gRPC: `grpcTransport({ endpoints: staticEndpoint(addr) })` calling `createGrpcServer`, against a ' +
        'grpc-js `Client.makeUnaryRequest` calling a grpc-js `Server`, both with one HTTP/2 connection and ' +
        'the message compiled by protobufjs from `exportProto(contract)`; the raw (de)serializers are what ' +
        '@grpc/proto-loader builds (`decode` then `toObject` with int64 as numbers).',
    ),
  },
];
