/**
 * The adversary suite (`npm run attack`, not part of `npm test`): replays every attack of the
 * security review against the compiled hub, each against a fresh hub for a bounded time beside a
 * healthy pair of clients, and prints one row per attack: hub RSS peak and after, hub CPU, the
 * pair's latency and loss, and PASS/FAIL against the budgets in scripts/attack/budget.ts. Exits 1
 * if any attack fails.
 *
 *   npm run attack -- [--only NAME[,NAME]] [--seconds N] [--help]
 *
 * All traffic stays on 127.0.0.x (and, for ipv6-churn, inside a network namespace of its own).
 */
import { parseArgs } from 'node:util';
import { binAttacks } from './attack/bins.ts';
import { admissionSilent } from './attack/admissionSilent.ts';
import { admissionWrong } from './attack/admissionWrong.ts';
import { closeWithErrors } from './attack/closeWithErrors.ts';
import { fmt, type Row } from './attack/common.ts';
import { floodBurst } from './attack/floodBurst.ts';
import { historyNonReaders } from './attack/historyNonReaders.ts';
import { historyPinnedReads } from './attack/historyPinnedReads.ts';
import { historyResumeUnknown } from './attack/historyResumeUnknown.ts';
import { historyTinyRuns } from './attack/historyTinyRuns.ts';
import { type HubAttack, runHubAttack } from './attack/harness.ts';
import { ipv6Churn } from './attack/ipv6Churn.ts';
import { logFloodFast, logFloodSlow } from './attack/logFlood.ts';
import { nonReaderWaves } from './attack/nonReaderWaves.ts';
import { partialsThenLeave } from './attack/partialsThenLeave.ts';
import { slowPartial } from './attack/slowPartial.ts';
import { tinyFramesToNonReaders } from './attack/tinyFramesToNonReaders.ts';
import { tlsNonReaders } from './attack/tlsNonReaders.ts';
import { tlsStalledHandshakes } from './attack/tlsStalledHandshakes.ts';

const DEFAULT_SECONDS = 15;

interface Attack {
  name: string;
  what: string;
  run(scale: number): Promise<Row>;
}

const hub = (attack: HubAttack, what: string): Attack => ({
  name: attack.name,
  what,
  run: (scale) => runHubAttack(attack, scale),
});

const ATTACKS: Attack[] = [
  hub(closeWithErrors, 'connect, write 32,768 bad lines, close; repeat'),
  hub(logFloodFast, 'open connections keep writing bad lines; hub stderr read fast'),
  hub(logFloodSlow, 'the same, hub stderr read 4 KiB every 100 ms'),
  hub(slowPartial, '48 unfinished frames sent one byte per TCP write'),
  hub(floodBurst, '50 connections write 648 tokens each at once; frames relayed in 3 s'),
  hub(nonReaderWaves, '300 connections that never read every 6 s (42 s); hub --flood-rate 0'),
  hub(partialsThenLeave, '8,000 connections hold 60 KB partial frames, then all leave'),
  hub(tinyFramesToNonReaders, '2,000 non-readers while 8 senders send ~100-byte tokens, one per write'),
  hub(ipv6Churn, 'reconnect churn from many addresses of one IPv6 /64 (network namespace)'),
  hub(historyNonReaders, '40 connections a second ask #history 1000000 of a full history and never read'),
  hub(historyResumeUnknown, 'resumes after random digests of a full history, as fast as they are answered'),
  hub(historyTinyRuns, 'history filled with the smallest frames, one per read (--history-frames 1000000)'),
  hub(historyPinnedReads, 'history filled with 16 KiB frames each read with 48 KiB of refused line'),
  hub(admissionSilent, 'TLS and --admit: waves of 250 connections read the challenge and never answer'),
  hub(admissionWrong, 'TLS and --admit: 48 connections at once answer wrongly, as fast as they are refused'),
  hub(tlsStalledHandshakes, 'TLS: 2,850 TCP connections send nothing or half a ClientHello, and sit'),
  hub(tlsNonReaders, 'TLS and --admit: admitted members that never read, 4 KB talkers'),
  ...binAttacks,
];

const USAGE = `usage: npm run attack -- [--only NAME[,NAME]] [--seconds N] [--help]

Replays each attack against a fresh compiled hub (build first: npm run attack does) beside a
healthy pair of clients, and prints one row each. Exit 1 if any attack fails.

  --only NAME[,NAME]  run only these attacks
  --seconds N         each attack's time (default ${DEFAULT_SECONDS}); longer attacks scale with it
  --help              this text

attacks:
${ATTACKS.map((a) => `  ${a.name.padEnd(26)} ${a.what}`).join('\n')}
`;

function parse(): { only: Attack[]; scale: number } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      seconds: { type: 'string', default: String(DEFAULT_SECONDS) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) usage(`bad --seconds ${values.seconds}`);
  const names = values.only?.split(',').map((n) => n.trim()) ?? ATTACKS.map((a) => a.name);
  const unknown = names.filter((n) => !ATTACKS.some((a) => a.name === n));
  if (unknown.length > 0) usage(`unknown attack ${unknown.join(', ')}`);
  return { only: ATTACKS.filter((a) => names.includes(a.name)), scale: seconds / DEFAULT_SECONDS };
}

function usage(problem: string): never {
  process.stderr.write(`attack: ${problem}\n\n${USAGE}`);
  process.exit(2);
}

const COLUMNS: [string, number, (row: Row) => string][] = [
  ['attack', 26, (r) => r.name],
  ['RSS peak', 9, (r) => fmt(r.rssPeakMiB, 1)],
  ['RSS after', 9, (r) => fmt(r.rssAfterMiB, 1)],
  ['CPU %', 6, (r) => fmt(r.cpuPercent)],
  ['p50 ms', 7, (r) => fmt(r.p50, 1)],
  ['p99 ms', 7, (r) => fmt(r.p99, 1)],
  ['max ms', 7, (r) => fmt(r.max, 1)],
  ['lost', 6, (r) => fmt(r.lost)],
  ['relayed', 7, (r) => fmt(r.relayed)],
  ['result', 6, (r) => r.result],
];

function line(cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1]))).join('  ');
}

async function main(): Promise<number> {
  const { only, scale } = parse();
  const rows: Row[] = [];
  const started = performance.now();
  for (const attack of only) {
    process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${attack.name} ...\n`);
    const row = await attack.run(scale);
    rows.push(row);
    process.stdout.write(`  ${line(COLUMNS.map(([, , cell]) => cell(row)))}\n  ${row.note}\n`);
  }
  const took = (performance.now() - started) / 1000;
  const out = [
    '',
    `adversary suite: ${rows.length} attacks in ${took.toFixed(0)} s (RSS in MiB; latency and loss are the healthy pair's)`,
    '',
    line(COLUMNS.map(([title]) => title)),
    line(COLUMNS.map(([, width]) => '-'.repeat(width))),
    ...rows.map((row) => line(COLUMNS.map(([, , cell]) => cell(row)))),
    '',
    ...rows.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`),
    '',
    `${rows.filter((r) => r.result === 'PASS').length} passed, ${rows.filter((r) => r.result === 'FAIL').length} failed, ${rows.filter((r) => r.result === 'SKIP').length} skipped`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return rows.some((r) => r.result === 'FAIL') ? 1 : 0;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(
      `attack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
