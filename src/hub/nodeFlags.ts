/**
 * The Node flags the hub runs with: `npm start` and `npm run hub` pass them, and so do the bench and
 * the soak test, so that what is measured is what ships.
 *
 * V8 lets its young generation grow to 16 MiB per semi-space. The hub's short-lived garbage (one
 * Buffer per socket read, a small array per write batch) never needs that much room, and the cap
 * takes about 20 MiB off its RSS, idle or loaded, with no change measured in throughput, latency or
 * CPU (BENCHMARKS.md, "Memory").
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size'];
