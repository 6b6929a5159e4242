export { createNatsServer, type NatsServer, type NatsServerOptions } from './server.js';
export { natsTransport, natsCodecs, type NatsCodecName, type NatsTransportOptions } from './transport.js';
export type { NatsConnectionOptions } from './connection.js';
export { operationSubject, queueGroup, serviceSubject, defaultSubjectPrefix } from './subjects.js';
export { serviceErrorHeader, serviceErrorCodeHeader } from './errors.js';
