/**
 * The routes a route topic stands for, as a function of its last record per route id alone.
 *
 * Compaction keeps, per key, only the last record (and drops tombstones after a while), so a
 * replica that reads the topic today may see much less history than one that has followed it
 * for a month. Anything decided from history (this write was refused because that route held the
 * uri at the time) would then come out differently on the two. So nothing is: the state is
 * computed from the last record of each id, and every replica, however much history it saw,
 * computes the same routes.
 *
 * The one rule that needs an order is a uri held by two enabled routes (two replicas accepted a
 * PUT each before either read the other's). Each record carries its rank: the offset where its
 * route's hold on the uri began (a replace that keeps the uri keeps the rank; anything else
 * starts a new one at its own offset). The lower rank keeps the uri; the other route is
 * shadowed: absent from the admin API and from matching, on every replica alike. Static routes
 * (the configuration file's) outrank every record. The writer of a shadowed record is told
 * (RouteConflictError) and writes the route back as it was (kafka-store.ts), so a shadowed record
 * does not linger.
 */
import type { KafkaRoute } from './route.js';

/** The last record of one route id. */
export interface LogEntry {
  offset: bigint;
  /** Where its hold on its uri began: the record's claim, else its offset. */
  rank: bigint;
  createdIndex: number;
  route: KafkaRoute;
  /** The key id its record is encrypted with (for key rotation: which keys are still in use). */
  kid: string;
}

export interface Resolved {
  /** The routes in effect, by id (static ones not included). */
  effective: Map<string, LogEntry>;
  /** Ids whose last record is shadowed, with the id (static or not) that holds their uri. */
  shadowed: Map<string, string>;
}

/** The key two routes clash on: the same uri, both exact or both prefix. */
export function uriKey(route: KafkaRoute): string {
  return `${route.prefix ? '*' : '='}${route.uri}`;
}

/** Whether `b`, replacing `a`, keeps holding the uri `a` held (so it keeps `a`'s rank). */
export function keepsClaim(a: KafkaRoute, b: KafkaRoute): boolean {
  return a.enabled && b.enabled && uriKey(a) === uriKey(b);
}

/**
 * The routes in effect for the last records `latest` beside `statics` (the configuration file's
 * routes, which win every clash and whose ids no record may take). Pure: the same input gives the
 * same answer on every replica.
 */
export function resolveRoutes(latest: ReadonlyMap<string, LogEntry>, statics: ReadonlyMap<string, KafkaRoute>): Resolved {
  const held = new Map<string, string>();
  for (const r of statics.values()) if (r.enabled) held.set(uriKey(r), r.id);
  const order = [...latest].filter(([id]) => !statics.has(id));
  order.sort(([ia, a], [ib, b]) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : ia < ib ? -1 : 1));
  const effective = new Map<string, LogEntry>();
  const shadowed = new Map<string, string>();
  for (const [id, e] of order) {
    if (e.route.enabled) {
      const k = uriKey(e.route);
      const holder = held.get(k);
      if (holder !== undefined) {
        shadowed.set(id, holder);
        continue;
      }
      held.set(k, id);
    }
    effective.set(id, e);
  }
  return { effective, shadowed };
}
