import { createHash } from 'node:crypto';

/**
 * Where a room lives on NATS (docs/protocol.md, "Cluster"): one JetStream stream per room, so
 * that each room has its own contiguous sequence and limits, and rooms never see each other's
 * frames; presence on a core NATS subject of its own. Room names are checked by the hub's config
 * (ROOM_PATTERN), which keeps them valid in subjects and stream names.
 */
export const roomNames = (room: string) =>
  ({
    stream: `FERNET_CHAT_ROOM_${room}`,
    frames: `fernet-chat.room.${room}`,
    presence: `fernet-chat.presence.${room}`,
  }) as const;

/** The stream whose sequence numbers the hubs: each hub's start publishes one message to it. */
export const HUBS_STREAM = 'FERNET_CHAT_HUBS';
export const HUBS_SUBJECT = 'fernet-chat.hubs';

/**
 * The header naming the peers (unique in the room) whose frames a message carries, and how many
 * of each, in order (batches.ts, sendersHeader).
 */
export const SENDERS_HEADER = 'Fernet-Chat-Senders';

/**
 * Peer ids are `hub number × PEER_ID_STRIDE + n`: unique in the room, and below 2^53 for the
 * first nine million hub starts.
 */
export const PEER_ID_STRIDE = 1_000_000_000;

/**
 * The room's history epoch when clustered: names the stream (its name and when it was created),
 * not a hub's run, so that every hub of the room gives the same one and a digest known on one
 * is known on all; a stream deleted and made again is a new epoch.
 */
export function streamEpoch(stream: string, created: string): string {
  return createHash('sha256').update(`${stream} ${created}`).digest().subarray(0, 8).toString('base64url');
}
