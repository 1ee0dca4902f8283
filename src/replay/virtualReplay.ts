import { filter, map, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { hubActor } from '../actors/hubActor.ts';
import type { HubEffect, PeerId } from '../actors/hubEvent.ts';
import { notice } from '../protocol/notice.ts';
import type { Recording, RecordingEntry } from '../recording/recording.ts';
import { hubActorOptionsOf, hubEventOf } from './hubEventOf.ts';
import { recordedEvents } from './recordedEvents.ts';

/** One frame a connection received: a data frame (token text) or a notice, LF removed. */
export interface Received {
  /** Milliseconds since the recording started. */
  readonly t: number;
  /** The line of the recording whose event made the hub send it. */
  readonly cause: number;
  readonly kind: 'frame' | 'notice';
  readonly text: string;
}

/** What one connection of a recording did and received. */
export interface ConnectionLog {
  readonly peer: PeerId;
  readonly joinedAt: number;
  readonly leftAt: number | undefined;
  readonly reason: string | undefined;
  readonly received: readonly Received[];
}

export interface ReplayResult {
  readonly connections: readonly ConnectionLog[];
  /** Facts about the recording worth a line at the top of the transcript. */
  readonly notes: readonly string[];
  /** Where the replay disagrees with what the recording says the hub sent. */
  readonly problems: readonly string[];
  /** About the replay itself rather than the recording (not part of the transcript). */
  readonly remarks?: readonly string[];
}

interface Connection {
  peer: PeerId;
  joinedAt: number;
  leftAt: number | undefined;
  reason: string | undefined;
  /** The hub has closed it: a peer actor sends nothing more after its `#bye`. */
  closed: boolean;
  received: Received[];
}

/**
 * Feeds a recording through the hub actor, the same code as the live hub's, in virtual time
 * (instant and deterministic), and collects what each connection received: the frames
 * delivered to it, its notices, and the `#bye` of a close (as the peer actor writes it).
 */
export function virtualReplay(recording: Recording): ReplayResult {
  const options = hubActorOptionsOf(recording.header.hub);
  const connections = new Map<PeerId, Connection>();
  const notes: string[] = [];
  let current: RecordingEntry | undefined;

  const receive = (peer: PeerId, kind: Received['kind'], text: string) => {
    const connection = connections.get(peer);
    if (connection === undefined || connection.closed || current === undefined) return;
    connection.received.push({ t: current.record.t, cause: current.line, kind, text });
  };
  const apply = (effect: HubEffect) => {
    switch (effect.type) {
      case 'deliver': {
        const frames = effect.data.toString('latin1').split('\n').slice(0, -1);
        for (const peer of effect.to)
          // `#joined`/`#left` travel as shared deliveries too; they are notices all the same.
          if (peer !== effect.from)
            for (const frame of frames) receive(peer, frame.startsWith('#') ? 'notice' : 'frame', frame);
        return;
      }
      case 'notice':
        receive(effect.peer, 'notice', effect.text);
        return;
      case 'close':
        if (options.notices) receive(effect.peer, 'notice', notice.bye(effect.reason));
        if (connections.has(effect.peer)) connections.get(effect.peer)!.closed = true;
        return;
      case 'log':
        return;
    }
  };
  const track = (entry: RecordingEntry) => {
    current = entry;
    const { record } = entry;
    if (record.type === 'join') {
      connections.set(record.peer, {
        peer: record.peer,
        joinedAt: record.t,
        leftAt: undefined,
        reason: undefined,
        closed: false,
        received: [],
      });
    } else if (record.type === 'leave') {
      const connection = connections.get(record.peer);
      if (connection) {
        connection.leftAt = record.t;
        connection.reason = record.reason;
      }
    } else if (record.type === 'dropped') {
      notes.push(
        `the recorder lost ${record.count} records before line ${entry.line} (its disk could not keep up); what follows may be incomplete`,
      );
    }
  };

  const scheduler = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  recordedEvents(recording.entries, scheduler)
    .pipe(
      map((entry) => {
        track(entry);
        return hubEventOf(entry.record);
      }),
      filter((event) => event !== undefined),
      hubActor(options),
    )
    .subscribe(apply);
  scheduler.flush();

  const list = [...connections.values()];
  return {
    connections: list.map(({ peer, joinedAt, leftAt, reason, received }) => ({
      peer,
      joinedAt,
      leftAt,
      reason,
      received,
    })),
    notes: [...recording.warnings, ...notes],
    problems: checkRecordedNotices(recording, list),
  };
}

/** The `notice` records (what the hub said went wrong) must be what the hub actor says today. */
function checkRecordedNotices(recording: Recording, connections: readonly Connection[]): string[] {
  const problems: string[] = [];
  for (const connection of connections) {
    const recorded = recording.entries.filter(
      (entry) => entry.record.type === 'notice' && entry.record.peer === connection.peer,
    );
    const now = connection.received.filter(
      (item) => item.kind === 'notice' && item.text.startsWith('#error '),
    );
    const count = Math.max(recorded.length, now.length);
    for (let i = 0; i < count; i++) {
      const was = recorded[i];
      const is = now[i];
      const wasText = was?.record.type === 'notice' ? was.record.text : undefined;
      if (wasText === is?.text) continue;
      problems.push(
        was === undefined
          ? `connection ${connection.peer}: the hub actor now sends ${JSON.stringify(is?.text)} (caused by line ${is?.cause}), which the recording does not have`
          : `line ${was.line}: the recording says the hub sent ${JSON.stringify(wasText)} to connection ${connection.peer}, but the hub actor now sends ${is === undefined ? 'nothing' : JSON.stringify(is.text)}`,
      );
      break;
    }
  }
  return problems;
}
