/** The fixed facts of one run, settled before its first line is sent. */
import type { Client } from './loadClient.ts';
import type { RunOptions } from './runTypes.ts';

export interface RunPlan {
  senders: number;
  /** max mode: messages in flight per sender; 0 when paced */
  window: number;
  paced: boolean;
  /** paced: ns between two lines of one sender */
  periodNs: number;
  startNs: number;
  measStartNs: number;
  measEndNs: number;
  /** 1 for each client that was ready when the run started: only these are owed deliveries */
  ready: Uint8Array;
  readyCount: number;
  liveAtStart: number;
}

export function planRun(
  options: RunOptions,
  clients: readonly Client[],
  liveCount: number,
  startNs: number,
): RunPlan {
  const senders = Math.max(1, Math.min(options.senders, clients.length));
  const paced = options.rate > 0;
  const ready = new Uint8Array(clients.length);
  let readyCount = 0;
  for (let i = 0; i < clients.length; i++) {
    const client = clients[i];
    if (client?.live && client.ready) {
      ready[i] = 1;
      readyCount++;
    }
  }
  const measStartNs = Math.floor(startNs + options.warmupS * 1e9);
  return {
    senders,
    window: paced ? 0 : Math.max(1, options.window ?? 1000),
    paced,
    periodNs: paced ? (1e9 * senders) / options.rate : 0,
    startNs,
    measStartNs,
    measEndNs: Math.floor(measStartNs + options.durationS * 1e9),
    ready,
    readyCount,
    liveAtStart: liveCount,
  };
}
