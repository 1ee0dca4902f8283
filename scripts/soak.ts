/**
 * Soak test (issue 5): the real hub as a child process, 200 clients over real TCP for a while
 * (60 s by default), with joins and leaves all along, one slow consumer that stops reading and a
 * couple of garbage senders. Then it checks that every healthy client received every frame sent
 * while it was connected, exactly once, in per-sender order, and that the hub's memory went back
 * near where it started once the load was gone; it prints those figures and exits 1 on failure.
 *
 *   npm run soak -- [--duration 60] [--clients 200] [--rate 10] [--size 4] [--churn-ms 250]
 *
 * Clients are raw sockets sending valid-shape tokens (no encryption: the hub cannot tell) that
 * carry the sender's hub id and a sequence number. What "sent while it was connected" means,
 * exactly, from the hub's own ordered notices:
 *  - a receiver that saw `#joined S` must get S's frames from seq 0;
 *  - a sender that saw `#joined R` at its seq j: R's first frame from S is at most j;
 *  - whatever R got from S is consecutive (nothing lost, nothing twice, in order);
 *  - a receiver still there at the end got S's frames up to S's last one, unless S reset its
 *    own connection (an RST may discard what S had in flight).
 *
 * Resumers (issue 12, scripts/soak/resumers.ts) read without sending; each drops its connection
 * several times at random moments and comes back with `#resume`. Each must end with every frame
 * from its first join on exactly once, live or from the answers, and every answer must say
 * `complete`: the hub keeps `--history-frames` (20,000 here: 10 s of the soak's 2,000 frames/s;
 * its default of 500 would be a quarter of a second of such a room).
 *
 *   npm run soak -- [--resumers 10] [--drop-every-ms 3000] [--away-ms 1000] [--history-frames 20000]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readShapedToken, shapedLine } from '../test/robustness/support/shapedToken.ts';
import { type ResumerFigures, Resumers } from './soak/resumers.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    clients: { type: 'string', default: '200' },
    rate: { type: 'string', default: '10' },
    size: { type: 'string', default: '4' },
    'churn-ms': { type: 'string', default: '250' },
    resumers: { type: 'string', default: '10' },
    'drop-every-ms': { type: 'string', default: '3000' },
    'away-ms': { type: 'string', default: '1000' },
    'history-frames': { type: 'string', default: '20000' },
  },
});
const DURATION_S = Number(flags.duration);
const CLIENTS = Number(flags.clients);
/** Frames per second per healthy client, and token size (57 + 16k bytes decoded). */
const RATE = Number(flags.rate);
const SIZE_K = Number(flags.size);
const CHURN_MS = Number(flags['churn-ms']);
const RESUMERS = Number(flags.resumers);
const DROP_EVERY_MS = Number(flags['drop-every-ms']);
const AWAY_MS = Number(flags['away-ms']);
const HISTORY_FRAMES = Number(flags['history-frames']);
const positive = { DURATION_S, CLIENTS, RATE, SIZE_K, CHURN_MS, DROP_EVERY_MS, AWAY_MS, HISTORY_FRAMES };
for (const [name, value] of Object.entries({ ...positive, RESUMERS }))
  if (!Number.isFinite(value) || value < 0 || (value === 0 && name in positive)) {
    process.stderr.write(`soak: bad value for ${name}\n`);
    process.exit(2);
  }
const TICK_MS = 50;
const DRAIN_TIMEOUT_MS = 30_000;
const MEMORY_SETTLE_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// The hub

interface Hub {
  readonly child: ChildProcess;
  readonly port: number;
  log: string;
}

/**
 * The hub as it ships: compiled (an incremental build first, as the npm scripts do), defaults,
 * except that all the soak's clients come from one address: at 10 frames/s each, 200 of them are
 * four times what one address may send by default (500/s), so the per-address bucket is off; and
 * history holds what the resumers miss while away (see the top).
 */
async function startHub(): Promise<Hub> {
  execFileSync(
    process.execPath,
    [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tsconfig.build.json`],
    {
      stdio: 'inherit',
    },
  );
  const child = spawn(
    process.execPath,
    [
      `${ROOT}dist/bin/hub.js`,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--flood-rate-per-address',
      '0',
      '--history-frames',
      String(HISTORY_FRAMES),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const hub = { child, port: 0, log: '' };
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    hub.log += text;
  });
  const started = Date.now();
  while (hub.port === 0) {
    const match = /event=listening .*port=(\d+)/.exec(hub.log);
    if (match) hub.port = Number(match[1]);
    else if (child.exitCode !== null || Date.now() - started > 15_000)
      throw new Error(`the hub did not start:\n${hub.log}`);
    else await sleep(20);
  }
  return hub;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// ---------------------------------------------------------------------------------------------
// Clients

type Role = 'healthy' | 'slow' | 'garbage';

class Client {
  id = 0;
  nextSeq = 0;
  /** Frames per tick owed but not sent yet (fractions of a frame accumulate). */
  owed = Math.random();
  closed = false;
  leaving = false;
  /** Left by resetting the connection: frames it had in flight may be lost. */
  reset = false;
  sending = true;
  errors = 0;
  /** The reason of the hub's `#bye`, if it said one. */
  byeReason: string | undefined;
  /** Per sender: the first seq received, and the next one expected. */
  readonly first = new Map<number, number>();
  readonly next = new Map<number, number>();
  /** Senders this one saw join (`#joined S`): their frames must start at seq 0 here. */
  readonly sawJoin = new Set<number>();
  /** Receivers this one saw join, with its next seq at that moment. */
  readonly seqWhenJoined = new Map<number, number>();
  readonly problems: string[] = [];
  garbageLines = 0;
  received = 0;
  private carry = '';
  private readonly socket: Socket;
  readonly welcomed: Promise<void>;

  constructor(
    readonly role: Role,
    port: number,
  ) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.setEncoding('latin1');
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
    });
    let welcome: () => void;
    this.welcomed = new Promise((resolve) => {
      welcome = resolve;
    });
    this.socket.on('data', (text: string) => {
      if (this.role === 'slow' && this.id !== 0) return; // never reached: paused below
      const lines = (this.carry + text).split('\n');
      this.carry = lines.pop()!;
      for (const line of lines) this.take(line, welcome);
    });
  }

  private take(line: string, welcome: () => void): void {
    if (line.charCodeAt(0) === 0x23) {
      const [word, a] = line.split(' ', 3);
      if (word === '#hello') {
        this.id = Number(line.split(' ')[2]);
        welcome();
        if (this.role === 'slow') this.socket.pause(); // and never reads again
      } else if (word === '#joined') {
        const peer = Number(a);
        this.sawJoin.add(peer);
        this.seqWhenJoined.set(peer, this.nextSeq);
      } else if (word === '#error') {
        this.errors++;
      } else if (word === '#bye') {
        this.byeReason = a;
      } else if (word === '#ping') {
        this.socket.write('#pong\n');
      }
      return;
    }
    const token = readShapedToken(line);
    if (token === undefined) {
      this.garbageLines++;
      if (this.problems.length < 20)
        this.problems.push(`not a token from the hub: ${JSON.stringify(line.slice(0, 40))}`);
      return;
    }
    this.received++;
    const { sender, seq } = token;
    if (sender === this.id) {
      this.problems.push(`got its own frame ${seq}`);
      return;
    }
    const expected = this.next.get(sender);
    if (expected === undefined) {
      this.first.set(sender, seq);
      if (this.sawJoin.has(sender) && seq !== 0)
        this.problems.push(`first frame from ${sender} (seen joining) is ${seq}, not 0`);
    } else if (seq !== expected) {
      if (this.problems.length < 20)
        this.problems.push(
          `from ${sender}: got ${seq}, expected ${expected} (${seq < expected ? 'twice or out of order' : 'lost'})`,
        );
    }
    this.next.set(sender, seq + 1);
  }

  /** Sends what it owes for one tick. */
  tick(framesPerTick: number): void {
    if (!this.sending || this.closed || this.leaving || this.id === 0) return;
    this.owed += framesPerTick;
    while (this.owed >= 1) {
      this.owed--;
      this.socket.write(shapedLine(this.id, this.nextSeq++, SIZE_K));
    }
  }

  sendGarbage(): void {
    if (this.closed) return;
    const kinds = [
      () => Buffer.concat([randomBytes(200), Buffer.from('\n')]),
      () => Buffer.from('\0\0\0\0\n'),
      () => Buffer.from(`${'x'.repeat(70_000)}\n`), // over the 64 KiB limit
      () => Buffer.from(`g${'A'.repeat(98)}!\n`),
      () => Buffer.from('#nick mallory\n'),
    ];
    this.socket.write(kinds[Math.floor(Math.random() * kinds.length)]!());
  }

  leave(reset: boolean): void {
    this.leaving = true;
    this.reset = reset;
    if (reset) this.socket.resetAndDestroy();
    else this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

interface Phase {
  readonly all: Client[];
  readonly resumers: Resumers;
  readonly slow: Client;
  readonly garbage: Client[];
  readonly survivors: Client[];
  readonly senders: Client[];
  readonly joins: number;
  readonly leaves: number;
  readonly resets: number;
  readonly drainMs: number;
  readonly peakRss: number;
}

/**
 * One load: CLIENTS healthy clients (plus the slow one and the garbage senders) chatting for
 * `seconds` with churn, then the wait until every frame owed has arrived (or the drain timeout).
 */
async function load(hub: Hub, seconds: number, say: (text: string) => void): Promise<Phase> {
  const pid = hub.child.pid!;
  const all: Client[] = [];
  const open = async (role: Role) => {
    const client = new Client(role, hub.port);
    all.push(client);
    await client.welcomed;
    return client;
  };
  for (let i = 0; i < CLIENTS; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, () => open('healthy')));
  const slow = await open('slow');
  const garbage = await Promise.all([open('garbage'), open('garbage')]);
  const resumers = new Resumers(hub.port, { count: RESUMERS, dropEveryMs: DROP_EVERY_MS, awayMs: AWAY_MS });
  resumers.start(seconds);

  const framesPerTick = (RATE * TICK_MS) / 1000;
  let peakRss = rssKiB(pid);
  let joins = 0;
  let leaves = 0;
  let resets = 0;
  const ticker = setInterval(() => {
    for (const client of all) if (client.role === 'healthy') client.tick(framesPerTick);
  }, TICK_MS);
  // The hub closes a client after 100 refused frames in a row (#bye too-many-errors): a garbage
  // sender that is closed is replaced, so that garbage keeps coming all through the load.
  const sendingGarbage = [...garbage];
  const garbageTicker = setInterval(() => {
    for (const [i, client] of sendingGarbage.entries()) {
      if (!client.closed) {
        client.sendGarbage();
        continue;
      }
      const fresh = new Client('garbage', hub.port);
      all.push(fresh);
      garbage.push(fresh);
      sendingGarbage[i] = fresh;
    }
  }, 100);
  const churn = setInterval(() => {
    const candidates = all.filter((c) => c.role === 'healthy' && !c.leaving && !c.closed && c.id !== 0);
    if (candidates.length === 0) return;
    const leaver = pick(candidates);
    const reset = Math.random() < 0.2;
    leaver.leave(reset);
    leaves++;
    if (reset) resets++;
    joins++;
    void open('healthy');
  }, CHURN_MS);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssKiB(pid));
  }, 250);
  const progress = setInterval(() => {
    const present = all.filter((c) => c.role === 'healthy' && !c.closed && !c.leaving).length;
    const sent = all.reduce((n, c) => n + c.nextSeq, 0);
    say(
      `${present} healthy online, ${sent} frames sent, ${resumers.drops} resumer drops, hub RSS ${rssKiB(pid)} KiB`,
    );
  }, 10_000);

  await sleep(seconds * 1000);
  clearInterval(ticker);
  clearInterval(garbageTicker);
  clearInterval(churn);
  clearInterval(progress);
  for (const client of all) client.sending = false;
  const loadEnded = performance.now();
  // Those away come back; what they missed comes in their answers.
  await resumers.settled();

  // Survivors: healthy clients present to the end. They must get every sender's frames to its last.
  const survivors = all.filter((c) => c.role === 'healthy' && !c.leaving && !c.closed);
  const senders = all.filter((c) => c.role === 'healthy' && c.id !== 0);
  const drainStart = performance.now();
  while (
    missing(survivors, senders) + resumers.missing(senders) > 0 &&
    performance.now() - drainStart < DRAIN_TIMEOUT_MS
  )
    await sleep(100);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssKiB(pid));
  return {
    all,
    resumers,
    slow,
    garbage,
    survivors,
    senders,
    joins,
    leaves,
    resets,
    drainMs: performance.now() - loadEnded,
    peakRss,
  };
}

/** The senders whose frames a receiver present to the end must have, to the last one. */
function owedTo(r: Client, senders: readonly Client[]): Client[] {
  return senders.filter((s) => {
    if (s === r || s.nextSeq === 0 || s.reset) return false;
    const joinedSeq = s.seqWhenJoined.get(r.id);
    // R was there for some of S's frames: S saw R join before its last frame, or R got some.
    return (joinedSeq !== undefined && joinedSeq < s.nextSeq) || r.next.has(s.id) || r.sawJoin.has(s.id);
  });
}

function fromSeq(r: Client, s: Client): number {
  return r.sawJoin.has(s.id) ? 0 : (r.first.get(s.id) ?? s.seqWhenJoined.get(r.id) ?? s.nextSeq);
}

function missing(survivors: readonly Client[], senders: readonly Client[]): number {
  let count = 0;
  for (const r of survivors)
    for (const s of owedTo(r, senders)) count += Math.max(0, s.nextSeq - (r.next.get(s.id) ?? fromSeq(r, s)));
  return count;
}

/** Every check on a phase: order, loss, duplicates, starts, ends, garbage kept away. */
function check(
  phase: Phase,
  hub: Hub,
): { failures: string[]; expected: number; received: number; resumed: ResumerFigures } {
  const failures: string[] = [];
  let expected = 0;
  let received = 0;
  for (const r of phase.senders) {
    received += r.received;
    for (const problem of r.problems) failures.push(`client ${r.id}: ${problem}`);
    if (r.garbageLines > 0)
      failures.push(`client ${r.id}: ${r.garbageLines} lines that are not tokens reached it`);
    for (const s of phase.senders) {
      if (s === r) continue;
      const first = r.first.get(s.id);
      const joinedSeq = s.seqWhenJoined.get(r.id);
      if (first !== undefined && joinedSeq !== undefined && first > joinedSeq)
        failures.push(
          `client ${r.id}: first frame from ${s.id} is ${first}, but ${s.id} saw it join at ${joinedSeq}`,
        );
    }
  }
  for (const r of phase.survivors)
    for (const s of owedTo(r, phase.senders)) {
      const from = fromSeq(r, s);
      expected += s.nextSeq - from;
      const got = r.next.get(s.id) ?? from;
      if (got !== s.nextSeq)
        failures.push(`client ${r.id} (to the end) has ${s.id}'s frames to ${got - 1}, not ${s.nextSeq - 1}`);
    }
  const closedFor = phase.garbage.filter((c) => c.closed && c.byeReason !== 'too-many-errors');
  if (closedFor.length > 0)
    failures.push(`a garbage sender was disconnected for ${closedFor.map((c) => c.byeReason).join(', ')}`);
  if (phase.garbage.every((c) => c.errors === 0)) failures.push('the garbage senders got no #error notices');
  if (/internal-error|unexpected error/.test(hub.log)) failures.push('the hub logged an internal error');
  if (hub.child.exitCode !== null) failures.push(`the hub exited (${hub.child.exitCode})`);
  const resumed = phase.resumers.check(phase.senders);
  failures.push(...resumed.failures);
  return { failures, expected, received, resumed };
}

/** Everyone leaves; resolves once the hub says no one is online (its last `online=` is 0). */
async function leaveAll(phase: Phase, hub: Hub): Promise<void> {
  for (const client of phase.all) client.destroy();
  phase.resumers.destroy();
  const started = Date.now();
  const online = () => Number(/online=(\d+)(?![\s\S]*online=)/.exec(hub.log)?.[1] ?? -1);
  while (online() !== 0 && Date.now() - started < 10_000) await sleep(100);
}

async function main(): Promise<number> {
  const hub = await startHub();
  const pid = hub.child.pid!;
  const rssFresh = rssKiB(pid);
  const started = performance.now();
  const say = (text: string) =>
    process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${text}\n`);
  say(`hub pid ${pid} on port ${hub.port}; ${CLIENTS} clients at ${RATE} frames/s each for ${DURATION_S} s`);

  // Warm-up: the same load for a while, then everyone leaves. The memory the allocators keep
  // after one round of load (malloc arenas, V8's grown heap) is the level to come back to; a
  // leak would show as more than that after the real run.
  const warmUpS = Math.round(Math.min(10, Math.max(2, DURATION_S / 6)));
  const warm = await load(hub, warmUpS, say);
  const warmCheck = check(warm, hub);
  await leaveAll(warm, hub);
  await sleep(2_000);
  const rssBaseline = rssKiB(pid);
  say(
    `warm-up of ${warmUpS} s done (${warmCheck.failures.length} problems); hub RSS fresh ${rssFresh} KiB, after warm-up ${rssBaseline} KiB`,
  );

  const cpuBefore = cpuSeconds(pid);
  const phase = await load(hub, DURATION_S, say);
  say(`load stopped; drained in ${(phase.drainMs / 1000).toFixed(1)} s`);
  const cpuDuringLoad = cpuSeconds(pid) - cpuBefore;
  const { failures, expected, received, resumed } = check(phase, hub);
  failures.unshift(...warmCheck.failures.map((f) => `warm-up: ${f}`));
  const slowLeave = new RegExp(`event=leave peer=${phase.slow.id} reason=(\\S+)`).exec(hub.log)?.[1];
  const garbageErrors = phase.garbage.reduce((n, c) => n + c.errors, 0);

  // Memory once the load is gone: everyone leaves, the hub sits idle.
  await leaveAll(phase, hub);
  const settleStart = performance.now();
  const target = rssBaseline + Math.max(16 * 1024, rssBaseline * 0.15);
  await sleep(5_000);
  let rssAfter = rssKiB(pid);
  while (rssAfter > target && performance.now() - settleStart < MEMORY_SETTLE_MS) {
    await sleep(1_000);
    rssAfter = rssKiB(pid);
  }
  const settleMs = performance.now() - settleStart;
  if (rssAfter > target)
    failures.push(
      `hub RSS ${rssAfter} KiB did not come back near ${rssBaseline} KiB (target ${Math.round(target)})`,
    );

  const framesSent = phase.senders.reduce((n, s) => n + s.nextSeq, 0);
  const orderProblems = failures.filter(
    (f) => !f.startsWith('resumer') && /lost|twice|first frame|has .*'s frames|own frame/.test(f),
  ).length;
  const resumerProblems = failures.filter(
    (f) => f.startsWith('resumer') && /lost|twice|first frame|has .*'s frames/.test(f),
  ).length;
  const lines = [
    '',
    'soak figures',
    `  load                       ${DURATION_S} s (after a ${warmUpS} s warm-up), ${(phase.drainMs / 1000).toFixed(1)} s to drain`,
    `  clients                    ${CLIENTS} healthy at a time, ${phase.senders.length} over the run (${phase.joins} joins, ${phase.leaves} leaves of which ${phase.resets} resets), 1 slow consumer, ${phase.garbage.length} garbage senders`,
    `  frames sent                ${framesSent} (${57 + 16 * SIZE_K} bytes decoded, ${RATE}/s per client)`,
    `  frames received            ${received} by healthy clients; ${expected} owed to the ${phase.survivors.length} present at the end, all there`,
    `  loss/duplicates/reordering ${orderProblems}`,
    `  resumers                   ${phase.resumers.readers.length} readers, ${phase.resumers.drops} drops (${phase.resumers.resets} with an RST, away 20–${AWAY_MS} ms), ${resumed.answers} resumes: ${resumed.answers - resumed.gaps} complete, ${resumed.gaps} with a gap; history ${HISTORY_FRAMES} frames`,
    `  resumers' frames           ${resumed.fromHistory + resumed.live} of ${resumed.owed} owed since each one's first join (${resumed.fromHistory} from resume answers, ${resumed.live} live); loss/duplicates/reordering ${resumerProblems}`,
    `  garbage                    ${garbageErrors} #error notices to the garbage senders, ${phase.garbage.filter((c) => c.byeReason === 'too-many-errors').length} of them closed after 100 refused frames in a row (and replaced); non-token lines at healthy clients: ${phase.senders.reduce((n, c) => n + c.garbageLines, 0)}`,
    `  slow consumer              ${slowLeave === 'slow-consumer' ? 'dropped as slow-consumer' : `not dropped within the run (${slowLeave ?? 'still connected'})`}`,
    `  hub CPU                    ${cpuDuringLoad.toFixed(1)} s over the load (${((cpuDuringLoad / (DURATION_S + phase.drainMs / 1000)) * 100).toFixed(0)} % of a core)`,
    `  hub RSS                    fresh ${rssFresh} KiB, after warm-up ${rssBaseline} KiB, peak ${phase.peakRss} KiB, after the load ${rssAfter} KiB (${(settleMs / 1000).toFixed(0)} s after everyone left; target ≤ ${Math.round(target)})`,
    `  result                     ${failures.length === 0 ? 'PASS' : `FAIL (${failures.length})`}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const failure of failures.slice(0, 30)) process.stdout.write(`  ! ${failure}\n`);

  hub.child.kill('SIGTERM');
  await new Promise((resolve) => hub.child.once('exit', resolve));
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(
      `soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
