import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { request } from '../../src/protocol/notice.ts';
import { stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { PacedSenders } from './support/pacedSenders.ts';
import { ResumingReader } from './support/resumingReader.ts';

afterEach(stopAll);

/**
 * The boundary between a history answer and the live frames after it (docs/protocol.md), with
 * 10 senders at 2,000 frames/s in all: whoever joins or resumes in the middle of that must end
 * with every frame exactly once, in each sender's order. Flood control is off (--unlimited) so
 * that the load goes through, and history holds every frame of the run.
 */
const HUB_ARGS = ['--unlimited', '--history-frames', '100000'];
const RATE = 2_000;
const SENDERS = 10;
const PER_SENDER = 500;

const ids = (from: number) => Array.from({ length: SENDERS }, (_, i) => from + i);
const everyFrame = (senders: readonly number[], count = PER_SENDER) =>
  new Map(senders.map((id) => [id, count]));

function open(port: number, senders: readonly number[], perSender = PER_SENDER): Promise<PacedSenders> {
  return PacedSenders.open(port, senders, perSender).then((paced) => {
    onTestFinished(() => paced.destroy());
    return paced;
  });
}

function reader(): ResumingReader {
  const reader = new ResumingReader();
  onTestFinished(() => reader.drop());
  return reader;
}

describe('history under load', () => {
  it('a late joiner and a client that drops and resumes each end with every frame of the run exactly once', async () => {
    const hub = await startTestHub(HUB_ARGS);
    const resumer = reader();
    await resumer.connect(hub.port);
    const senders = await open(hub.port, ids(1));
    senders.start(RATE);

    await senders.waitForTotal(800);
    resumer.drop();
    await senders.waitForTotal(1_200);
    const late = reader();
    await late.connect(hub.port, request.history(100_000));
    await senders.waitForTotal(1_800);
    await resumer.resume(hub.port);

    await senders.waitUntilFinished();
    const all = everyFrame(ids(1));
    for (const client of [late, resumer]) {
      await client.waitForAll(all);
      expect(client.problems).toEqual([]);
      expect(client.complaints).toEqual([]);
      for (const id of ids(1)) {
        expect(client.first.get(id), `sender ${id}'s first frame`).toBe(0);
        expect(client.next.get(id), `after sender ${id}'s last frame`).toBe(PER_SENDER);
      }
      // Counted once more, in all: a frame twice would show here even if the order check missed it.
      expect(client.fromHistory + client.live).toBe(SENDERS * PER_SENDER);
    }

    // Both answers were part of the whole: frames before the join came from history, the rest live.
    expect(late.answers).toEqual([
      { sent: late.fromHistory, received: late.fromHistory, outcome: 'complete' },
    ]);
    // (How many came from each depends on how far behind the senders' writes the hub was.)
    expect(late.fromHistory).toBeGreaterThan(0);
    expect(late.live).toBeGreaterThan(0);
    expect(resumer.answers).toEqual([
      { sent: resumer.fromHistory, received: resumer.fromHistory, outcome: 'complete' },
    ]);
    expect(resumer.fromHistory).toBeGreaterThan(0);
    expect(resumer.ids).toHaveLength(2);
  });

  it('a client that resumes after the hub restarted is told of a gap, and has every frame of the new hub once', async () => {
    const first = await startTestHub(HUB_ARGS);
    const resumer = reader();
    await resumer.connect(first.port);
    const before = await open(first.port, ids(1), 100_000);
    before.start(RATE);
    await before.waitForTotal(600);
    await eventually(() => resumer.live > 0, 'frames from the first hub');
    const oldEpoch = resumer.epoch;
    expect(oldEpoch).toBeDefined();

    first.bin.kill('SIGKILL');
    await first.bin.exited;
    // No web listener: on a fixed --port it would take --port + 1, which another test may hold.
    const second = await startTestHub([...HUB_ARGS, '--port', String(first.port), '--no-web']);
    const after = await open(second.port, ids(101));
    after.start(RATE);
    await after.waitForTotal(600);
    await resumer.resume(second.port);

    const answer = await resumer.waitForAnswer();
    expect(answer.outcome).toBe('gap');
    expect(answer.sent).toBe(answer.received);
    expect(answer.sent).toBeGreaterThan(0);
    expect(resumer.epoch).not.toBe(oldEpoch);
    await after.waitUntilFinished();
    await resumer.waitForAll(everyFrame(ids(101)));
    expect(resumer.problems).toEqual([]);
    expect(resumer.complaints).toEqual([]);
    // From the first hub, a run from each sender's first frame; from the second, all of them.
    for (const id of ids(1)) expect(resumer.first.get(id)).toBe(0);
    for (const id of ids(101)) {
      expect(resumer.first.get(id)).toBe(0);
      expect(resumer.next.get(id)).toBe(PER_SENDER);
    }
  });
});
