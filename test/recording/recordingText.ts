import { tokenOf } from '../support/testKey.ts';

/** A recording's header line, with the hub settings a default hub has. */
export const HEADER = JSON.stringify({
  type: 'header',
  format: 'fernet-chat-recording',
  version: 1,
  startedAt: '2026-11-23T10:00:00.000Z',
  hub: {
    framing: 'line',
    notices: true,
    keepalive: null,
    maxFrameBytes: 65536,
    maxQueueBytes: 1048576,
    maxConnections: 10000,
    maxConnectionsPerAddress: 1000,
    floodRate: 50,
    floodBurst: 200,
  },
});

export const TOKEN_A = tokenOf({
  v: 1,
  kind: 'message',
  from: 'alice',
  text: 'hi',
  id: '00000000-0000-4000-8000-000000000001',
  at: '2026-11-23T10:00:00.000Z',
});

/** A recording from its records, one JSON line each after the header. */
export function recordingText(...records: object[]): string {
  return [HEADER, ...records.map((record) => JSON.stringify(record))].map((line) => `${line}\n`).join('');
}

/** The epoch of the hub in recordings made by historyRecordingText. */
export const RECORDED_EPOCH = 'Rec0rded-Ep0ch_1';

/** A recording of a hub that kept history (the default limits unless told), in RECORDED_EPOCH. */
export function historyRecordingText(
  limits: { frames?: number; seconds?: number; bytes?: number },
  ...records: object[]
): string {
  const header = JSON.parse(HEADER) as { hub: object };
  const history = { frames: 500, seconds: 3600, bytes: 16 * 1024 * 1024, epoch: RECORDED_EPOCH, ...limits };
  const withHistory = JSON.stringify({ ...header, hub: { ...header.hub, history } });
  return recordingText(...records).replace(HEADER, withHistory);
}
