import { filter, map, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { hubActor } from '../actors/hubActor.ts';
import type { HubEffect, PeerId } from '../streams/hubEvent.ts';
import { notice } from '../protocol/notice.ts';
import type { Recording, RecordingEntry } from '../recording/recording.ts';
import { isRecordedNoticeText } from '../recording/recordsOf.ts';
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

/**
 * `#joined`/`#left` notices that one connection received one after another, kept as a range of
 * the replay's presence log rather than one object each: a room filling up sends each of N
 * connections up to N of them, and 5,000 joins held that way took gigabytes.
 */
export interface PresenceRun {
  readonly kind: 'presence';
  /** Every presence notice of the replay, in the order the hub sent them; shared by every run. */
  readonly log: readonly Received[];
  /** The run is log[start] up to, not including, log[end]. */
  readonly start: number;
  readonly end: number;
}

/** A frame or notice, or a run of presence notices. */
export type ReceivedItem = Received | PresenceRun;

/** What one connection of a recording did and received. */
export interface ConnectionLog {
  readonly peer: PeerId;
  readonly joinedAt: number;
  readonly leftAt: number | undefined;
  readonly reason: string | undefined;
  readonly received: readonly ReceivedItem[];
}

/** Each frame and notice, runs written out: as large as what the hub sent, so for small replays. */
export function expandReceived(items: readonly ReceivedItem[]): Received[] {
  return items.flatMap((item) => (item.kind === 'presence' ? item.log.slice(item.start, item.end) : [item]));
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
  /** While in the hub actor's roster and open: it has every presence notice from this one on. */
  listeningFrom: number | undefined;
  received: Array<Received | { -readonly [K in keyof PresenceRun]: PresenceRun[K] }>;
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
  const presence: Received[] = [];
  let current: RecordingEntry | undefined;

  // Presence notices go to everyone in the hub actor's roster but their subject. Visiting each
  // recipient would cost N per join, N² for a room filling up; instead a connection in the
  // roster and open "listens": it has every notice of the log from `listeningFrom` on, and they
  // become one run in its list when something else arrives for it or it stops listening.
  const roster = new Set<PeerId>(); // as the hub actor's join and leave logs say
  let disagreement: string | undefined;
  const catchUp = (connection: Connection) => {
    const from = connection.listeningFrom;
    if (from === undefined || from === presence.length) return;
    const last = connection.received.at(-1);
    if (last?.kind === 'presence' && last.end === from) last.end = presence.length;
    else connection.received.push({ kind: 'presence', log: presence, start: from, end: presence.length });
    connection.listeningFrom = presence.length;
  };
  const stopListening = (connection: Connection | undefined) => {
    if (connection === undefined) return;
    catchUp(connection);
    connection.listeningFrom = undefined;
  };
  const receive = (peer: PeerId, kind: Received['kind'], text: string) => {
    const connection = connections.get(peer);
    if (connection === undefined || connection.closed || current === undefined) return;
    catchUp(connection);
    connection.received.push({ t: current.record.t, cause: current.line, kind, text });
  };
  const announce = (from: PeerId, to: readonly PeerId[], text: string) => {
    if (current === undefined) return;
    if (to.length !== roster.size)
      disagreement ??= `line ${current.line}: the hub actor announced to ${to.length} peers with ${roster.size} in its roster`;
    // Its subject is in the roster when it joins; it does not get its own #joined.
    const subject = connections.get(from);
    const skip = subject?.listeningFrom !== undefined;
    if (skip) catchUp(subject);
    presence.push({ t: current.record.t, cause: current.line, kind: 'notice', text });
    if (skip) subject.listeningFrom = presence.length;
  };
  const apply = (effect: HubEffect) => {
    switch (effect.type) {
      case 'deliver': {
        const frames = effect.data.toString('latin1').split('\n').slice(0, -1);
        for (const frame of frames) {
          // `#joined`/`#left` travel as shared deliveries too.
          if (frame.startsWith('#')) announce(effect.to.sender ?? -1, effect.to.roster, frame);
          else effect.to.forEach((peer) => receive(peer, 'frame', frame));
        }
        return;
      }
      case 'notice':
        receive(effect.peer, 'notice', effect.text);
        return;
      case 'close': {
        if (options.notices) receive(effect.peer, 'notice', notice.bye(effect.reason));
        const connection = connections.get(effect.peer);
        stopListening(connection);
        if (connection) connection.closed = true;
        return;
      }
      case 'log': {
        const { event, peer } = effect.record;
        if (typeof peer !== 'number') return;
        const connection = connections.get(peer);
        if (event === 'join') {
          roster.add(peer);
          if (connection && !connection.closed) connection.listeningFrom ??= presence.length;
        } else if (event === 'leave') {
          roster.delete(peer);
          stopListening(connection);
        }
        return;
      }
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
        listeningFrom: undefined,
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
  for (const connection of connections.values()) stopListening(connection);
  // The runs above rely on the roster being what the hub actor's logs say; never guess.
  if (disagreement !== undefined) throw new Error(`virtual replay: ${disagreement}`);

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

/**
 * The `notice` records (what the hub said went wrong, how each history answer ended) must be
 * what the hub actor says today.
 */
function checkRecordedNotices(recording: Recording, connections: readonly Connection[]): string[] {
  const problems: string[] = [];
  // Grouped once: filtering the whole recording for each connection was quadratic too.
  const recordedBy = new Map<PeerId, RecordingEntry[]>();
  for (const entry of recording.entries)
    if (entry.record.type === 'notice') {
      const list = recordedBy.get(entry.record.peer) ?? [];
      list.push(entry);
      recordedBy.set(entry.record.peer, list);
    }
  for (const connection of connections) {
    const recorded = recordedBy.get(connection.peer) ?? [];
    const now = connection.received.filter(
      (item): item is Received => item.kind === 'notice' && isRecordedNoticeText(item.text),
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
