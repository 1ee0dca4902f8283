import type { RecordedHub } from '../recording/recordingSchema.ts';

/**
 * The hub flags a live replay of a recording needs, so that the live hub refuses and relays
 * what the recorded one did: `fernet-chat-hub <these> …`.
 */
export function liveHubArgs(hub: RecordedHub): string[] {
  return ['--framing', hub.framing, '--max-frame-bytes', String(hub.maxFrameBytes)];
}
