/**
 * Records the session fixtures from real runs of the bins: `npm run record-fixture [-- NAME…]`.
 *
 * For each scripted session (scripts/fixture/scenarios.ts): a new throw-away key, the hub bin
 * with --record on a port the OS picks, real client processes (and, where the script says, a
 * raw socket or a Python peer) fed line by line, each step waiting until its effect is seen.
 * Then fixtures/sessions/NAME.jsonl, NAME.key (0600) and NAME.transcript (from the replay bin),
 * and two checks before anything is kept: the transcript says what each client really showed,
 * and a live replay against a fresh hub gives the same transcript.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecording } from '../src/recording/parseRecording.ts';
import { liveHubArgs } from '../src/replay/liveHubArgs.ts';
import { SCENARIOS, type Scenario } from './fixture/scenarios.ts';
import { screenCheck } from './fixture/screenCheck.ts';
import { bin, ROOT, Session, waitUntil } from './fixture/session.ts';

const OUT = join(ROOT, 'fixtures/sessions');

async function record(scenario: Scenario): Promise<void> {
  const base = join(OUT, scenario.name);
  const files = { recording: `${base}.jsonl`, key: `${base}.key`, transcript: `${base}.transcript` };
  const draft = {
    recording: `${base}.jsonl.new`,
    key: `${base}.key.new`,
    transcript: `${base}.transcript.new`,
  };
  const session = await Session.start(scenario.hubArgs);
  try {
    await scenario.run(session);
    await session.finish(draft.recording, draft.key);

    const replay = bin('replay', 'replay', [draft.recording, '--key', draft.key]);
    if ((await replay.exited) !== 0) throw new Error(`the replay failed\n${replay.describe()}`);
    writeFileSync(draft.transcript, replay.out);

    const problems = screenCheck(replay.out, session.clients);
    if (problems.length > 0)
      throw new Error(`the transcript is not what the clients showed:\n${problems.join('\n')}`);
    await checkLive(draft);
  } catch (error) {
    for (const file of Object.values(draft)) rmSync(file, { force: true });
    throw error;
  } finally {
    await session.cleanup();
  }
  renameSync(draft.recording, files.recording);
  renameSync(draft.key, files.key);
  renameSync(draft.transcript, files.transcript);
}

/** A live replay against a fresh hub must give the transcript too. */
async function checkLive(draft: { recording: string; key: string; transcript: string }): Promise<void> {
  const parsed = parseRecording(readFileSync(draft.recording, 'utf8'));
  if (!parsed.ok) throw new Error(`the recording does not parse: ${parsed.error.message}`);
  const hub = bin('live hub', 'hub', [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    ...liveHubArgs(parsed.recording.header.hub),
  ]);
  try {
    const port = await waitUntil(
      () => /event=listening .*port=(\d+)/.exec(hub.err)?.[1],
      () => `the live hub to listen\n${hub.describe()}`,
    );
    const live = bin('live replay', 'replay', [
      draft.recording,
      ...['--key', draft.key, '--expect', draft.transcript, '--live', `127.0.0.1:${port}`, '--speed', '0'],
    ]);
    if ((await live.exited) !== 0) throw new Error(`the live replay differs\n${live.describe()}`);
  } finally {
    hub.process.kill('SIGKILL');
    await hub.exited;
  }
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `record-fixture: unknown fixture ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})\n`,
  );
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
for (const scenario of SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  process.stdout.write(`recording ${scenario.name} … `);
  try {
    await record(scenario);
  } catch (error) {
    process.stdout.write('failed\n');
    process.stderr.write(`record-fixture: ${scenario.name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`fixtures/sessions/${scenario.name}.{jsonl,key,transcript}\n`);
}
