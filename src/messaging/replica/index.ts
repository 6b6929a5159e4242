export { createReplica, type Replica, type ReplicaOptions, type Appliers } from './replica.js';
export { memoryReplicaStore, sqliteReplicaStore, type ReplicaStore } from './store.js';
