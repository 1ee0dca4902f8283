import type { RecordedHub } from '../recording/recordingSchema.ts';

/**
 * The hub flags a live replay of a recording needs, so that the live hub refuses and relays
 * what the recorded one did: `fernet-chat-hub <these> …`.
 */
export function liveHubArgs(hub: RecordedHub): string[] {
  const args = ['--framing', hub.framing, '--max-frame-bytes', String(hub.maxFrameBytes)];
  if (hub.history === undefined || hub.history === null) return args;
  // What a history answer holds depends on these, and how much it may hold on the queue's size.
  return [
    ...args,
    ...['--history-frames', String(hub.history.frames)],
    ...['--history-seconds', String(hub.history.seconds)],
    ...['--history-bytes', String(hub.history.bytes)],
    ...['--max-queue-bytes', String(hub.maxQueueBytes)],
  ];
}
