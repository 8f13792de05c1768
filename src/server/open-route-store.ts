/**
 * The route store a proxy runs with: the data directory's (RouteStore, the default), or a
 * compacted Kafka topic shared by replicas (KafkaRouteStore) when `routeStore` is configured.
 */
import { clientOptions } from './live-routes.js';
import type { Logger } from './log.js';
import type { RouteStoreSetting } from './config/route-store.js';
import { storeClusterRoute } from './config/route-store.js';
import { RouteKeyError } from './errors.js';
import { KafkaRouteStore } from './routes/kafka-store.js';
import { KeyRing, type RouteKey } from './routes/key-ring.js';
import { RouteStore } from './routes/store.js';

export interface OpenRouteStoreOptions {
  dataDir?: string | undefined;
  staticRoutes?: Array<{ id: string } & Record<string, unknown>> | undefined;
  routeStore?: RouteStoreSetting | undefined;
  routeStoreKeys?: readonly RouteKey[] | undefined;
  logger: Logger;
}

/**
 * Opens the configured store. A Kafka store is returned at once, still reading its topic
 * (`unavailable` says so until it is current).
 * @throws RouteKeyError for a Kafka store without keys; the stores' own errors for bad static routes
 */
export async function openRouteStore(o: OpenRouteStoreOptions): Promise<RouteStore> {
  if (o.routeStore === undefined) {
    return RouteStore.open({
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.staticRoutes !== undefined ? { staticRoutes: o.staticRoutes } : {}),
    });
  }
  if (o.routeStoreKeys === undefined || o.routeStoreKeys.length === 0) throw new RouteKeyError('a route store in Kafka needs the keys its records are encrypted with (routeStoreKeys)');
  const k = o.routeStore.kafka;
  const logger = o.logger;
  return KafkaRouteStore.start({
    client: clientOptions(storeClusterRoute(k)),
    topic: k.topic,
    replicationFactor: k.replicationFactor,
    keys: new KeyRing(o.routeStoreKeys),
    ...(o.staticRoutes !== undefined ? { staticRoutes: o.staticRoutes } : {}),
    log: (level, message, fields) => logger[level](message, fields),
  });
}
