import type { HubConfig } from '../config/hubConfig.ts';
import type { RecordedHub } from './recordingSchema.ts';

/** The settings a recording's header keeps: those that change what the hub does with events. */
export function recordedHubOf(
  config: HubConfig,
  keepalive: { readonly idleMs: number; readonly pongTimeoutMs: number } | undefined,
): RecordedHub {
  return {
    framing: config.framing,
    notices: config.framing === 'line',
    keepalive: keepalive ? { idleMs: keepalive.idleMs, pongTimeoutMs: keepalive.pongTimeoutMs } : null,
    maxFrameBytes: config.maxFrameBytes,
    maxQueueBytes: config.maxQueueBytes,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    floodRate: config.floodRate,
    floodBurst: config.floodBurst,
    presenceLimit: config.presenceLimit,
  };
}
