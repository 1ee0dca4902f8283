/** The benchmark's presets (issue 6): what load each one offers, and how long it runs. */
export type PresetName = 'small' | 'room' | 'crowd' | 'max' | 'websocket' | 'cluster' | 'overload' | 'idle';
export const PRESET_NAMES: readonly PresetName[] = [
  'small',
  'room',
  'crowd',
  'max',
  'websocket',
  'cluster',
  'overload',
  'idle',
];

export type PresetKind = 'fixed' | 'max' | 'overload' | 'idle';

export interface LoadParams {
  clients: number;
  senders: number;
  /** total msg/s offered (paced); 0 = max rate with `window` in flight per sender */
  rate: number;
  /** approximate line length in bytes, LF included */
  size: number;
  warmupS: number;
  durationS: number;
  window: number;
}

export interface Preset {
  name: PresetName;
  kind: PresetKind;
  description: string;
  params: LoadParams;
}

/**
 * The warm-up covers the relays' JIT, not only their connections: under the room's load V8 was
 * still compiling and deoptimizing our hub's hot path 1.5 s after the clients came (node
 * --trace-opt, BENCHMARKS.md "Warm-up"), and a measurement that began at 1 s took that in.
 */
const base = { size: 200, warmupS: 3, durationS: 5, window: 1000 };

export const PRESETS: Record<PresetName, Preset> = {
  small: {
    name: 'small',
    kind: 'fixed',
    description: 'N=10, 1 sender, max rate (1000 in flight), 200 B',
    params: { ...base, clients: 10, senders: 1, rate: 0 },
  },
  room: {
    name: 'room',
    kind: 'fixed',
    description: 'N=100, 10 senders, 2,000 msg/s offered, 200 B',
    params: { ...base, clients: 100, senders: 10, rate: 2000 },
  },
  crowd: {
    name: 'crowd',
    kind: 'fixed',
    description: 'N=1,000, 10 senders, 200 msg/s offered, 200 B',
    params: { ...base, clients: 1000, senders: 10, rate: 200 },
  },
  max: {
    name: 'max',
    kind: 'max',
    description: 'N=100, 10 senders: highest paced msg/s with p99 < 50 ms and zero loss (search)',
    params: { ...base, clients: 100, senders: 10, rate: 2000, warmupS: 0.5, durationS: 3 },
  },
  websocket: {
    name: 'websocket',
    kind: 'max',
    description:
      'max over WebSocket: N=100 WebSocket clients, 10 senders; the ws relay is the baseline, our TCP path beside',
    params: { ...base, clients: 100, senders: 10, rate: 2000, warmupS: 0.5, durationS: 3 },
  },
  cluster: {
    name: 'cluster',
    kind: 'fixed',
    description:
      "room's load (N=100, 10 senders, 2,000 msg/s, 200 B) on one hub, and on nats-server with 2 hubs, clients spread over both",
    params: { ...base, clients: 100, senders: 10, rate: 2000 },
  },
  overload: {
    name: 'overload',
    kind: 'overload',
    description: "N=100, 10 senders, 2x the relay's own max rate for 10 s",
    params: { ...base, clients: 100, senders: 10, rate: 0, durationS: 10 },
  },
  idle: {
    name: 'idle',
    kind: 'idle',
    description: 'as many idle connections as possible, up to 10,000: hub RSS per connection',
    params: { ...base, clients: 10_000, senders: 0, rate: 0, warmupS: 0, durationS: 0 },
  },
};

export interface SearchOptions {
  /** p99 latency limit, ms */
  p99LimitMs: number;
  /** first rate tried, msg/s */
  startRate: number;
  maxSteps: number;
}

export const DEFAULT_SEARCH: SearchOptions = { p99LimitMs: 50, startRate: 2000, maxSteps: 10 };
