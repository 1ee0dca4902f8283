import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubEvent, LogRecord } from '../../src/streams/hubEvent.ts';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import { HubRecorder, openHubRecorder } from '../../src/recording/hubRecorder.ts';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { recordedHubOf } from '../../src/recording/recordedHub.ts';
import type { RecordingSink } from '../../src/recording/recordingFile.ts';
import { eventRecordSchema } from '../../src/recording/recordingSchema.ts';
import { tempDir, tokenOf } from '../support/testKey.ts';

const TOKEN = tokenOf('x'.repeat(200));

/** A disk that can be made to hang (hold) or fail, and keeps every write call. */
class FakeDisk implements RecordingSink {
  readonly writes: string[] = [];
  closed = false;
  hold = false;
  fail: Error | undefined;
  private readonly waiting: Array<() => void> = [];

  write(data: Buffer): Promise<void> {
    this.writes.push(data.toString('utf8'));
    if (this.fail) return Promise.reject(this.fail);
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  lines(): string[] {
    return this.writes.join('').split('\n').slice(0, -1);
  }
}

const frame = (peer: number): HubEvent => ({
  type: 'frames',
  peer,
  run: { kind: 'frames', data: Buffer.from(`${TOKEN}\n`), count: 1 },
});
const turn = () => new Promise((resolve) => setImmediate(resolve));

function recorder(disk: FakeDisk, maxBufferBytes = 1 << 20) {
  const logs: LogRecord[] = [];
  let now = 0;
  const r = new HubRecorder(disk, (record) => logs.push(record), {
    maxBufferBytes,
    clock: () => now++,
  });
  return { r, logs };
}

describe('HubRecorder', () => {
  it('does no I/O while the hub handles an event: it writes later, whole lines per write call', async () => {
    const disk = new FakeDisk();
    const { r } = recorder(disk);
    r.event({ type: 'joined', peer: 1, remote: '127.0.0.1:1' });
    r.event(frame(1));
    r.effect({ type: 'notice', peer: 1, text: '#error bad-frame not a Fernet token: wrong length' });
    r.effect({ type: 'notice', peer: 1, text: '#joined 2 2' });
    expect(disk.writes).toEqual([]);
    await turn();
    await turn();
    expect(disk.writes).toHaveLength(1);
    for (const write of disk.writes) expect(write.endsWith('\n')).toBe(true);
    expect(disk.lines().map((line) => eventRecordSchema.parse(JSON.parse(line)).type)).toEqual([
      'join',
      'frame',
      'notice',
    ]);
  });

  it('drops and counts when the disk cannot keep up, warns once, and marks the gap when it can', async () => {
    const disk = new FakeDisk();
    const { r, logs } = recorder(disk, 4096);
    disk.hold = true;
    r.event(frame(1));
    await turn(); // the first write is now stuck on the disk
    for (let i = 0; i < 50; i++) r.event(frame(2)); // far more than 4 KiB
    expect(r.droppedRecords).toBeGreaterThan(30);
    expect(logs.filter((l) => l.event === 'record-dropping')).toHaveLength(1);
    const dropped = r.droppedRecords;

    disk.release();
    await turn();
    await turn();
    await turn();
    r.event({ type: 'left', peer: 2, reason: 'quit' });
    await r.close();
    const records = disk.lines().map((line) => eventRecordSchema.parse(JSON.parse(line)));
    const gap = records.find((record) => record.type === 'dropped');
    expect(gap).toMatchObject({ type: 'dropped', count: dropped });
    expect(records.at(-1)?.type).toBe('leave');
    expect(records.filter((record) => record.type === 'frame').length + dropped).toBe(51);
    expect(logs.at(-1)).toEqual({ event: 'record-closed', records: records.length, dropped });
  });

  it('writes a last dropped record on close when the drops were the last thing', async () => {
    const disk = new FakeDisk();
    const { r } = recorder(disk, 2048);
    disk.hold = true;
    r.event(frame(1));
    await turn();
    for (let i = 0; i < 20; i++) r.event(frame(1));
    const closing = r.close();
    disk.release();
    await closing;
    const last = JSON.parse(disk.lines().at(-1)!);
    expect(last).toMatchObject({ type: 'dropped', count: r.droppedRecords });
    expect(disk.closed).toBe(true);
  });

  it('stops recording when the disk fails, says so once, and never throws at the hub', async () => {
    const disk = new FakeDisk();
    const { r, logs } = recorder(disk);
    disk.fail = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    r.event(frame(1));
    await turn();
    await turn();
    r.event(frame(1));
    r.event(frame(1));
    await turn();
    await r.close();
    expect(logs.filter((l) => l.event === 'record-failed')).toEqual([
      { event: 'record-failed', code: 'ENOSPC', detail: 'recording stopped: no space left on device' },
    ]);
    expect(disk.writes).toHaveLength(1);
  });
});

describe('openHubRecorder', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  const hub = recordedHubOf(
    hubConfigSchema.parse({}),
    { idleMs: 120_000, pongTimeoutMs: 20_000 },
    'Ep0ch-of_a-test',
  );

  it('creates the file 0600 with its header line at once', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'session.jsonl');
    const logs: LogRecord[] = [];
    const opened = openHubRecorder(path, hub, (record) => logs.push(record));
    if (!opened.ok) throw new Error(opened.error.message);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const parsed = parseRecording(readFileSync(path, 'utf8'));
    expect(parsed.ok && parsed.recording.header.hub).toEqual(hub);
    expect(hub.history).toEqual({
      frames: 500,
      seconds: 3600,
      bytes: 16 * 1024 * 1024,
      epoch: 'Ep0ch-of_a-test',
    });
    opened.recorder.event({ type: 'joined', peer: 1, remote: '127.0.0.1:1' });
    await opened.recorder.close();
    const again = parseRecording(readFileSync(path, 'utf8'));
    expect(again.ok && again.recording.entries.map((e) => e.record.type)).toEqual(['join']);
    expect(logs.map((l) => l.event)).toEqual(['recording', 'record-closed']);
  });

  it('never replaces a file, and says why it cannot create one', () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'kept.jsonl');
    writeFileSync(path, 'precious\n');
    const exists = openHubRecorder(path, hub, () => {});
    expect(exists).toEqual({
      ok: false,
      error: {
        code: 'exists',
        message: `recording file ${path} already exists; not replacing it (choose another name)`,
      },
    });
    expect(readFileSync(path, 'utf8')).toBe('precious\n');
    const nowhere = openHubRecorder(join(temp.dir, 'no/such/dir.jsonl'), hub, () => {});
    expect(nowhere.ok === false && nowhere.error.code).toBe('no-directory');
  });
});
