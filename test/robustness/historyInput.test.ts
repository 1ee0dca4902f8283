/**
 * The bad-input table's rows for history (README, "Bad input, and what happens"; the wire in
 * docs/protocol.md): malformed and huge requests, a second request, a stream of requests, and a
 * client that asks for a big history and does not read. Over real sockets, against the hub bin;
 * each ends with a healthy pair that still chats through the same hub.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ERROR_REPLIES, MAX_REFUSED_IN_A_ROW } from '../../src/actors/hubActor.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { type HubUnderTest, startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { expectHealthyPair } from './support/healthy.ts';
import { tcpSocket } from './support/procNet.ts';
import { Receiver } from './support/receiver.ts';
import { readShapedToken, shapedLine, shapedToken } from './support/shapedToken.ts';

/** Keeps 5 frames: a request for more gets exactly those. */
let hub: HubUnderTest;
const HISTORY_FRAMES = 5;
/** Flood control at 2 lines/s after a burst of 20: who gets read how far is plain to count. */
let flood: HubUnderTest;
const FLOOD_RATE = 2;
const FLOOD_BURST = 20;
/** A queue limit of 64 KiB: a history answer may queue that much, and at 1 MiB a client is dropped. */
let small: HubUnderTest;
const opened: { destroy(): void }[] = [];

beforeAll(async () => {
  [hub, flood, small] = await Promise.all([
    startTestHub(['--history-frames', String(HISTORY_FRAMES)]),
    startTestHub(['--flood-rate', String(FLOOD_RATE), '--flood-burst', String(FLOOD_BURST)]),
    startTestHub(['--flood-rate', '0', '--max-queue-bytes', '65536', '--max-frame-bytes', '16384']),
  ]);
});
afterEach(() => {
  for (const peer of opened.splice(0)) peer.destroy();
});
afterAll(stopAll);

async function raw(port: number): Promise<RawSocket> {
  const peer = await RawSocket.open(port);
  opened.push(peer);
  await peer.waitForLine(/^#hello /);
  return peer;
}

async function receiver(port: number, localAddress?: string): Promise<Receiver> {
  const peer = await Receiver.open(port, localAddress === undefined ? {} : { localAddress });
  opened.push(peer);
  await peer.waitForNotice('#hello ');
  return peer;
}

/** `#hello fernet-chat/1 <id> <online> <epoch> <last>`, as numbers and words. */
function helloOf(lines: readonly string[]): { id: number; epoch: string; last: string } {
  const words = lines.find((line) => line.startsWith('#hello '))!.split(' ');
  return { id: Number(words[2]), epoch: words[4]!, last: words[5]! };
}

/** What a peer got after its #hello, less others' comings and goings (rows before may still be leaving). */
function afterHello(peer: RawSocket): string[] {
  return peer.lines().filter((line) => !/^#(hello|joined|left) /.test(line));
}

/** Each line as the test reads it: a notice as it is, a shaped token as `sender:seq`. */
function shown(lines: readonly string[]): string[] {
  return lines.map((line) => {
    const token = readShapedToken(line);
    return token === undefined ? line : `${token.sender}:${token.seq}`;
  });
}

const HISTORY_USAGE = '#error bad-request #history takes one count of frames, e.g. #history 50';
const RESUME_USAGE = '#error bad-request #resume takes the epoch from #hello and a frame digest, or -';
const NOT_A_DIGEST = '#error bad-request not a frame digest: 16 base64url characters, or -';
const ONE_REQUEST = '#error bad-request one history or resume request per connection';

describe('history requests, bad and big', () => {
  it('malformed #history and #resume: #error bad-request each, and nothing else (no frames, no #history-start)', async () => {
    // Something to send, were a request taken: frames in history.
    const sender = await raw(hub.port);
    for (let seq = 0; seq < 3; seq++) await sender.write(shapedLine(101, seq));
    const bad = await raw(hub.port);
    const { id, epoch } = helloOf(bad.lines());
    const digest = tokenDigest(shapedToken(101, 2));
    const requests = [
      '#history 99999999999', // more than 9 digits
      '#history 1234567890',
      '#history -1',
      '#history x',
      '#history',
      `#resume ${epoch} not-a-digest`,
      `#resume ${epoch} ${digest.slice(1)}`, // 15 characters
      '#resume bad.epoch -',
      `#resume ${epoch}`,
      '#resume',
    ];
    expect(requests.length).toBeLessThanOrEqual(MAX_ERROR_REPLIES); // every one is answered
    // The #ping last: its #pong says that every line before it has been answered.
    await bad.write(`${requests.join('\n')}\n#ping\n`);
    await bad.waitForLine('#pong');
    expect(afterHello(bad)).toEqual([
      HISTORY_USAGE,
      HISTORY_USAGE,
      HISTORY_USAGE,
      HISTORY_USAGE,
      HISTORY_USAGE,
      NOT_A_DIGEST,
      NOT_A_DIGEST,
      RESUME_USAGE,
      RESUME_USAGE,
      RESUME_USAGE,
      '#pong',
    ]);
    await hub.bin.waitForLine(
      'stderr',
      `event=reject peer=${id} code=bad-request detail="#history takes one count of frames, e.g. #history 50"`,
    );
    expect(hub.bin.lines('stderr').filter((line) => /event=(history|resume) /.test(line))).toEqual([]);
    await expectHealthyPair(hub.port);
  });

  it('#history 999999999 is capped: it gets what is kept, and says gap', async () => {
    const sender = await raw(hub.port);
    const reader = await receiver(hub.port);
    const frames = HISTORY_FRAMES + 3;
    for (let seq = 0; seq < frames; seq++) await sender.write(shapedLine(102, seq));
    await reader.waitForCount(102, frames);
    const [all, some] = [await raw(hub.port), await raw(hub.port)];
    // #hello names the newest frame kept, so that a resume from it is complete.
    expect(helloOf(all.lines()).last).toBe(tokenDigest(shapedToken(102, frames - 1)));
    await all.write('#history 999999999\n');
    await some.write('#history 3\n');
    await all.waitForLine(/^#history-end /);
    await some.waitForLine(/^#history-end /);
    const kept = Array.from({ length: HISTORY_FRAMES }, (_, i) => `102:${frames - HISTORY_FRAMES + i}`);
    expect(shown(afterHello(all))).toEqual(['#history-start', ...kept, `#history-end ${HISTORY_FRAMES} gap`]);
    expect(shown(afterHello(some))).toEqual(['#history-start', ...kept.slice(-3), '#history-end 3 complete']);
    await hub.bin.waitForLine(
      'stderr',
      `event=history peer=${helloOf(all.lines()).id} sent=${HISTORY_FRAMES} outcome=gap`,
    );
    await expectHealthyPair(hub.port);
  });

  it('a second request on one connection: #error bad-request; a stream of them is closed as too-many-errors, answered once', async () => {
    const twice = await raw(hub.port);
    const { epoch } = helloOf(twice.lines());
    await twice.write(`#history 1\n#history 1\n#resume ${epoch} -\n#ping\n`);
    await twice.waitForLine('#pong');
    const answered = afterHello(twice);
    expect(answered[0]).toBe('#history-start');
    expect(answered.slice(2)).toEqual(['#history-end 1 complete', ONE_REQUEST, ONE_REQUEST, '#pong']);

    // One connection asking again and again: one answer, then the replies to refused lines stop
    // and it is closed, as for any other refused line.
    const stream = await raw(hub.port);
    const { id } = helloOf(stream.lines());
    await stream.write('#history 1\n'.repeat(2 * MAX_REFUSED_IN_A_ROW));
    await eventually(
      () => stream.closed,
      () => `the hub to close it; got ${JSON.stringify(stream.lines().slice(-3))}`,
    );
    const lines = afterHello(stream);
    expect(lines.filter((line) => line === '#history-start')).toHaveLength(1);
    expect(lines.filter((line) => line === ONE_REQUEST)).toHaveLength(MAX_ERROR_REPLIES);
    expect(lines.filter((line) => line.startsWith('#error too-many-errors '))).toHaveLength(1);
    expect(lines.at(-1)).toBe('#bye too-many-errors');
    await hub.bin.waitForLine('stderr', new RegExp(`event=leave peer=${id} reason=too-many-errors`));
    await expectHealthyPair(hub.port);
  });

  it('requests count against flood control like frames: the hub stops reading a flooding requester as it does a flooding sender', async () => {
    const reader = await receiver(flood.port);
    // Two addresses, so that neither shares the other's bucket. Both write far more than a read.
    const frames = await receiver(flood.port, '127.0.0.2');
    const requests = await receiver(flood.port, '127.0.0.3');
    const started = performance.now();
    frames.write(Buffer.concat(Array.from({ length: 4_000 }, (_, seq) => shapedLine(103, seq))));
    // A request before each frame: the frames reset the refusals, so no reply is held back.
    requests.write(
      Buffer.concat(
        Array.from({ length: 3_000 }, (_, seq) =>
          Buffer.concat([Buffer.from('#history 1\n'), shapedLine(104, seq)]),
        ),
      ),
    );
    // The burst: 20 lines each, which for the requester is 10 requests and 10 frames.
    await reader.waitForCount(103, FLOOD_BURST);
    await reader.waitForCount(104, FLOOD_BURST / 2);
    await requests.waitForNotice('#history-end ');
    await eventually(
      () => requests.notices.filter((n) => n === ONE_REQUEST).length >= FLOOD_BURST / 2 - 1,
      () => `the requester's refusals; got ${JSON.stringify(requests.notices)}`,
    );
    // The same budget of lines for both, however long the waits above took.
    const allowed = FLOOD_BURST + Math.ceil(FLOOD_RATE * ((performance.now() - started) / 1000)) + 1;
    const requesterLines = 2 * reader.countFrom(104);
    console.log(
      `flood of requests: ${reader.countFrom(103)} frames of the frame flooder, ${reader.countFrom(104)} frames and ` +
        `${requests.notices.filter((n) => n.startsWith('#error') || n.startsWith('#history-start')).length} answers to the requester; ${allowed} lines allowed`,
    );
    expect(reader.countFrom(103)).toBeLessThanOrEqual(allowed);
    expect(requesterLines).toBeLessThanOrEqual(allowed);
    // Had the requests been free, the requester would have had its 20 frames at once too.
    expect(reader.countFrom(104)).toBeLessThan(reader.countFrom(103));
    // Reading stopped for both: what they wrote waits, unread, in the hub's receive queues.
    for (const peer of [frames, requests])
      await eventually(
        () => (tcpSocket(flood.port, peer.socket.localPort!)?.rxQueue ?? 0) > 0,
        'bytes left unread by the hub',
      );
    expect(reader.problems).toEqual([]);
    expect(frames.closed || requests.closed).toBe(false);
    expect(frames.notices.filter((n) => !n.startsWith('#joined'))).toEqual([
      expect.stringMatching(/^#hello /),
    ]);
    frames.destroy();
    requests.destroy();
    await expectHealthyPair(flood.port, FLOOD_BURST / 2);
  });

  it('a client that asks for a big history and does not read is dropped as a slow consumer; the others get everything', async () => {
    const [a, b] = [await receiver(small.port), await receiver(small.port)];
    // 500 frames of ~1.4 KB in history: 700 KB, more than one answer may queue (64 KiB).
    const k = 60;
    await sendAll(a.socket, 1, 0, 500, k);
    await b.waitForCount(1, 500);

    // It takes its #hello, asks for everything, and never reads again.
    const greedy = connect({ host: '127.0.0.1', port: small.port });
    opened.push(greedy);
    greedy.on('error', () => {});
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) greedy.pause();
    };
    greedy.on('data', onData);
    await eventually(() => text.startsWith('#hello '), 'the greedy client to be welcomed');
    const id = Number(text.split(' ')[2]);
    greedy.write('#history 1000000\n');
    await small.bin.waitForLine('stderr', new RegExp(`event=history peer=${id} `));

    // The others chat on at full speed: 2 x 2,000 frames, 5.6 MB, far more than it may be owed.
    const frames = 2_000;
    await Promise.all([sendAll(a.socket, 1, 500, frames, k), sendAll(b.socket, 2, 0, frames, k)]);
    await b.waitForCount(1, 500 + frames, 20_000);
    await a.waitForCount(2, frames, 20_000);
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    await small.bin.waitForLine('stderr', new RegExp(`event=leave peer=${id} reason=slow-consumer`), 10_000);
    for (const peer of [a, b]) await peer.waitForNotice(new RegExp(`^#left ${id} \\d+ slow-consumer$`));

    // What it did get starts with its answer: the newest frames that fit, in order.
    greedy.off('data', onData);
    greedy.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    greedy.resume();
    await eventually(
      () => greedy.closed,
      () => 'the greedy client to be closed',
    );
    const lines = shown(text.split('\n').slice(1, -1));
    expect(lines[0]).toBe('#history-start');
    // Sender 1's frames before 500 are history; live ones come after the answer.
    const inHistory = (line: string) => /^1:\d+$/.test(line) && Number(line.slice(2)) < 500;
    const answer = lines.slice(
      1,
      lines.findIndex((line, i) => i > 0 && !inHistory(line)),
    );
    const first = Number(answer[0]!.split(':')[1]);
    expect(first).toBeGreaterThan(0); // not all 500: one answer is capped
    expect(answer).toEqual(Array.from({ length: answer.length }, (_, i) => `1:${first + i}`));
    console.log(
      `greedy client: an answer of ${answer.length} frames (${lines[answer.length + 1]}), then ` +
        `${lines.length - answer.length - 2} lines before the drop; bye ${lines.includes('#bye slow-consumer') ? 'received' : 'lost'}`,
    );
    await expectHealthyPair(small.port);
  }, 30_000);
});

/** Writes frames `from … from + count - 1` of `sender` as fast as the socket takes them. */
async function sendAll(
  socket: Socket,
  sender: number,
  from: number,
  count: number,
  k: number,
): Promise<void> {
  for (let seq = from; seq < from + count; seq++)
    if (!socket.write(shapedLine(sender, seq, k)))
      await new Promise<void>((resolve, reject) => {
        socket.once('drain', resolve);
        socket.once('close', () => reject(new Error(`sender ${sender} closed at ${seq}`)));
      });
}
