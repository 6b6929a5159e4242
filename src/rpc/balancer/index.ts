export type { Balancer, PickHint, Random } from './balancer.js';
export { roundRobin, type RoundRobinOptions } from './round-robin.js';
export { random, type RandomOptions } from './random.js';
export { leastOutstanding, type LeastOutstandingOptions } from './least-outstanding.js';
export { p2cEwma, type P2cEwmaOptions } from './p2c-ewma.js';
export { consistentHash, hash32, type ConsistentHashOptions } from './consistent-hash.js';
export { zonePreference, type ZonePreferenceOptions } from './zone-preference.js';
export { outlierDetector, type EjectEvent, type OutlierDetector, type OutlierOptions } from './outlier.js';
export { discoveryPicker, type DiscoveryPickerOptions } from './picker.js';
