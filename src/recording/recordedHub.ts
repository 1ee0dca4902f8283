import type { HubConfig } from '../config/hubConfig.ts';
import type { RecordedHub } from './recordingSchema.ts';

/** The settings a recording's header keeps: those that change what the hub does with events. */
export function recordedHubOf(
  config: HubConfig,
  keepalive: { readonly idleMs: number; readonly pongTimeoutMs: number } | undefined,
  /** This run's epoch; undefined for a hub without history (chunk framing). */
  epoch: string | undefined,
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
    history:
      epoch === undefined
        ? null
        : {
            frames: config.historyFrames,
            seconds: config.historySeconds,
            bytes: config.historyBytes,
            epoch,
          },
  };
}
