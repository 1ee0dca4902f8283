import type { PeerId } from '../streams/hubEvent.ts';
import { NO_DIGEST, parseNotice, type ParsedNotice } from '../protocol/notice.ts';
import type { Recording, RecordingEntry } from '../recording/recording.ts';
import { ConnectError } from '../streams/connectError.ts';
import { connectSocket } from '../streams/connectSocket.ts';
import { LivePeer } from './livePeer.ts';
import { liveRecallLine } from './liveRecall.ts';
import { probeLine } from './probeLine.ts';
import { type ConnectionLog, expandReceived, type Received, type ReplayResult } from './virtualReplay.ts';

export interface LiveReplayOptions {
  readonly host: string;
  readonly port: number;
  /** Recorded time is divided by this; 0 plays as fast as the hub answers. */
  readonly speed: number;
  /** How long to wait for what one event should make the hub send. */
  readonly waitMs?: number;
}

/** How long a chunk-framed hub (no notices to wait for) gets to take in a join or a leave. */
const SETTLE_MS = 100;
const DEFAULT_WAIT_MS = 5_000;

/**
 * Plays a recording against a running hub: each recorded connection is a real TCP client that
 * connects, sends its frames (and, for lines the hub refused, a line refused for the same
 * reason) and leaves, at the recorded times scaled by `speed`. Events go one at a time: the
 * next waits until the hub has sent everything the previous one should make it send (as the
 * virtual replay `expected` says), which keeps joins, leaves and frames in their recorded order
 * at any speed. What each connection received is then compared with `expected`: data frames
 * exactly, notices by kind (ids may differ), an `#error` also by code.
 *
 * The result is in the recording's terms, so that its transcript can be compared with the
 * virtual one: live ids are translated to recorded ids, and each frame carries the recorded
 * time of the frame it matched.
 */
export async function liveReplay(
  recording: Recording,
  expected: ReplayResult,
  options: LiveReplayOptions,
): Promise<ReplayResult> {
  const { hub } = recording.header;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  // Written out: a live hub sends each presence notice on its own, and each is checked.
  const all = new Map(expected.connections.map((c) => [c.peer, expandReceived(c.received)]));
  const checkable = isCheckable(recording);
  const checked = new Map([...all].map(([peer, items]) => [peer, items.filter(checkable)]));
  const peers = new Map<PeerId, LivePeer>();
  const problems: string[] = [];
  const first = recording.entries[0]?.record.t ?? 0;
  const startedAt = performance.now();
  let shutDown = false;

  const play = async (entry: RecordingEntry): Promise<string | undefined> => {
    const { record } = entry;
    // The live hub is not ours to shut down. The recorded one closed everyone at its shutdown,
    // and whoever came after: so do we, all at once, so that no one hears the others go.
    if (record.type === 'shutdown' || shutDown) {
      shutDown = true;
      for (const peer of peers.values()) peer.destroy();
      return undefined;
    }
    if (record.type === 'join') {
      try {
        const socket = await connectSocket(options.host, options.port);
        peers.set(record.peer, new LivePeer(record.peer, socket, hub.framing));
      } catch (error) {
        if (error instanceof ConnectError) return error.message;
        throw error;
      }
      if (!hub.notices) await sleep(SETTLE_MS);
      return undefined;
    }
    // The live hub keeps its own clock.
    if (record.type === 'tick') return undefined;
    if (record.type === 'notice' || record.type === 'dropped') return undefined;
    const peer = peers.get(record.peer);
    if (peer === undefined) return undefined; // its join was lost by the recorder
    switch (record.type) {
      case 'frame':
        peer.send(record.data);
        break;
      case 'reject':
        peer.send(probeLine(record.code, record.detail, hub.maxFrameBytes));
        break;
      case 'ping':
        peer.recordedPing();
        break;
      case 'pong':
        peer.send('#pong');
        break;
      case 'recall':
        peer.send(liveRecallLine(record.request, hub.history?.epoch, peer.liveEpoch));
        break;
      case 'leave':
        await peer.leave(record.reason);
        if (!hub.notices || nothingFrom(entry)) await sleep(hub.notices ? 20 : SETTLE_MS);
        return undefined;
    }
    // Nothing for anyone to receive: ask the hub itself when it has handled this connection's line.
    if (hub.notices && nothingFrom(entry)) await peer.sync();
    return undefined;
  };

  const nothingFrom = (entry: RecordingEntry) =>
    ![...checked.values()].some((items) => items.some((item) => item.cause === entry.line));

  /** Waits until every connection has what the events up to `entry` should have sent it. */
  const settle = async (entry: RecordingEntry): Promise<string | undefined> => {
    for (const [peerId, items] of checked) {
      const peer = peers.get(peerId);
      if (peer === undefined) continue;
      const due = countUpTo(items, entry.line);
      if (!(await peer.waitFor(due, waitMs))) {
        const missing = items[peer.received.length];
        return `line ${entry.line} (${entry.record.type}): connection ${peerId} should have received ${describe(missing?.text)} within ${waitMs / 1000} s${peer.closed ? ', but the hub closed it' : ''}`;
      }
    }
    return undefined;
  };

  try {
    for (const entry of recording.entries) {
      if (options.speed > 0)
        await sleep(startedAt + (entry.record.t - first) / options.speed - performance.now());
      const problem = (await play(entry)) ?? (await settle(entry));
      if (problem !== undefined) {
        problems.push(problem);
        break;
      }
    }
  } finally {
    for (const peer of peers.values()) peer.destroy();
  }

  const connections: ConnectionLog[] = expected.connections.map((connection) => {
    const peer = peers.get(connection.peer);
    const want = checked.get(connection.peer) ?? [];
    const got = peer?.received ?? [];
    const problem = compare(want, got);
    if (problem !== undefined && problems.length === 0)
      problems.push(`connection ${connection.peer}: ${problem}`);
    const ids = idMap(peers);
    const epoch = hub.history?.epoch;
    let t = connection.joinedAt;
    const received: Received[] = [];
    const take = (text: string, matched: Received | undefined) => {
      t = matched?.t ?? t;
      const isNotice = text.startsWith('#');
      received.push({
        t,
        cause: matched?.cause ?? 0,
        kind: isNotice ? 'notice' : 'frame',
        text: isNotice ? translate(text, connection.peer, ids, epoch) : text,
      });
    };
    // What a live hub cannot be asked for stands where the recording has it, so that the
    // transcripts compare on the rest (the remark below says it was not checked).
    let next = 0;
    for (const item of all.get(connection.peer) ?? []) {
      if (!checkable(item)) received.push(item);
      else if (next < got.length) take(got[next++]!, item);
    }
    while (next < got.length) take(got[next++]!, undefined);
    return { ...connection, received };
  });
  const skipped = expected.connections.reduce(
    (sum, c) => sum + (all.get(c.peer)?.length ?? 0) - (checked.get(c.peer)?.length ?? 0),
    0,
  );
  const remarks =
    skipped === 0
      ? []
      : [
          `${skipped} frames of the recording came from the hub's own clock or its shutdown (keepalive pings, #bye): a live replay cannot ask for them, so they are not checked`,
        ];
  return { connections, notes: expected.notes, problems, remarks };
}

/**
 * Frames a live hub can be expected to send in turn: not those of its own clock, nor any from
 * its shutdown on (the `#bye`s, and what it said to those who came after).
 */
function isCheckable(recording: Recording): (item: Received) => boolean {
  const typeAt = new Map(recording.entries.map((entry) => [entry.line, entry.record.type]));
  const shutdown = recording.entries.find((entry) => entry.record.type === 'shutdown')?.line;
  return (item) =>
    typeAt.get(item.cause) !== 'tick' &&
    (shutdown === undefined || item.cause < shutdown) &&
    item.text !== '#ping';
}

function countUpTo(items: readonly Received[], line: number): number {
  let count = 0;
  while (count < items.length && items[count]!.cause <= line) count++;
  return count;
}

/** Where what was received differs from what was expected, or undefined. */
function compare(want: readonly Received[], got: readonly string[]): string | undefined {
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    const g = got[i];
    if (w !== undefined && g !== undefined && same(w.text, g)) continue;
    if (w === undefined) return `received ${describe(g)} after everything the recording has`;
    if (g === undefined)
      return `expected ${want.length} frames but received ${got.length}; the first missing is ${describe(w.text)} (line ${w.cause})`;
    return `frame ${i + 1}: expected ${describe(w.text)} (line ${w.cause}), received ${describe(g)}`;
  }
  return undefined;
}

function same(want: string, got: string): boolean {
  if (!want.startsWith('#') || !got.startsWith('#')) return want === got;
  const wanted = parseNotice(want);
  const gotten = parseNotice(got);
  // A hub with history names the newest frame as the peer joined: the same tokens, the same digest.
  if (wanted.kind === 'hello' && gotten.kind === 'hello' && wanted.epoch !== undefined)
    return wanted.last === gotten.last;
  return noticeKey(wanted) === noticeKey(gotten);
}

/**
 * A notice by kind (ids and counts of who is online may differ on a live hub); an error by its
 * code too, and the end of a history answer by all it says.
 */
function noticeKey(parsed: ParsedNotice): string {
  switch (parsed.kind) {
    case 'error':
      return `error ${parsed.code}`;
    case 'history-end':
      return `history-end ${parsed.sent} ${parsed.outcome}`;
    case 'unknown':
      return parsed.text;
    default:
      return parsed.kind;
  }
}

/** Live hub ids → recorded ids, from each connection's `#hello`. */
function idMap(peers: ReadonlyMap<PeerId, LivePeer>): Map<number, PeerId> {
  const ids = new Map<number, PeerId>();
  for (const peer of peers.values()) if (peer.liveId !== undefined) ids.set(peer.liveId, peer.peer);
  return ids;
}

/**
 * A notice with the live hub's ids replaced by the recording's (`?7` for one not replayed), and
 * its epoch by the recorded hub's. A hub recorded before history sent no epoch: neither is shown.
 */
function translate(
  text: string,
  self: PeerId,
  ids: ReadonlyMap<number, PeerId>,
  recordedEpoch: string | undefined,
): string {
  const parsed = parseNotice(text);
  const id = (live: number) => (ids.has(live) ? String(ids.get(live)) : `?${live}`);
  switch (parsed.kind) {
    case 'hello': {
      const hello = `#hello ${parsed.protocol} ${self} ${parsed.online}`;
      if (recordedEpoch === undefined || parsed.epoch === undefined) return hello;
      return `${hello} ${recordedEpoch} ${parsed.last ?? NO_DIGEST}`;
    }
    case 'joined':
      return `#joined ${id(parsed.peer)} ${parsed.online}`;
    case 'left':
      return `#left ${id(parsed.peer)} ${parsed.online} ${parsed.reason}`;
    default:
      return text;
  }
}

function describe(frame: string | undefined): string {
  if (frame === undefined) return 'nothing';
  if (frame.startsWith('#')) return JSON.stringify(frame);
  return `token ${frame.slice(0, 24)}…`;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
