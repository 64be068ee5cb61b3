import { Gauge, type Registry } from 'prom-client';
import type { DatabasePool } from 'slonik';

/**
 * Gauges of a slonik pool's state, read at scrape (slonik 47's `pool.state()`): open connections
 * (in use, idle, or being released), idle ones, callers waiting for a connection, and the
 * configured maximum. Waiting callers above zero for long means the pool is too small for the
 * load (PREBUILD_CONTROLLER_DATABASE_POOL_SIZE) or queries are slow.
 */
export function observeDbPool(registry: Registry, pool: DatabasePool, maximum: number): void {
  const registers = [registry];
  const state = () => pool.state();
  new Gauge({
    name: 'prebuild_controller_db_pool_connections',
    help: 'Open database connections of the pool (in use, idle, or being released or opened).',
    registers,
    collect() {
      const s = state();
      this.set(
        s.acquiredConnections +
          s.idleConnections +
          s.pendingConnections +
          s.pendingReleaseConnections +
          s.pendingDestroyConnections,
      );
    },
  });
  new Gauge({
    name: 'prebuild_controller_db_pool_idle_connections',
    help: 'Open database connections of the pool that are idle.',
    registers,
    collect() {
      this.set(state().idleConnections);
    },
  });
  new Gauge({
    name: 'prebuild_controller_db_pool_waiting_clients',
    help: 'Queries and transactions waiting for a free database connection of the pool.',
    registers,
    collect() {
      this.set(state().waitingClients);
    },
  });
  new Gauge({
    name: 'prebuild_controller_db_pool_max_connections',
    help: 'The most connections the pool opens (PREBUILD_CONTROLLER_DATABASE_POOL_SIZE).',
    registers,
  }).set(maximum);
}
