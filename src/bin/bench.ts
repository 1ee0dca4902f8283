#!/usr/bin/env node
/**
 * fernet-chat-bench: load, latency and memory of the hub beside baseline relays, in one run.
 *
 *   npm run bench -- --preset room
 *   npm run bench -- --preset small,room,crowd --relays ours,batching --json
 *   npm run bench -- --preset room --target 127.0.0.1:10101 [--target-pid <pid>]
 *
 * Tables go to stdout (or JSON with --json); progress goes to stderr.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { argsProblem } from '../config/commandLine.ts';
import { packageVersion } from '../config/packageVersion.ts';
import type { Progress } from '../bench/runTypes.ts';
import { DEFAULT_SEARCH, PRESET_NAMES, PRESETS, type PresetName } from '../bench/presets.ts';
import { allowedCpus, hasCommand, machineInfo, pinSelf, raiseFdLimit } from '../bench/procstat.ts';
import { profilesIn, profileTable } from '../bench/profile.ts';
import {
  DEFAULT_HUB_ENTRY,
  CLUSTER_RELAYS,
  DEFAULT_RELAYS,
  presetRelays,
  WEBSOCKET_RELAYS,
  HUB_NO_HISTORY_ARGS,
  HUB_UNLIMITED_FLAG,
  isOurHub,
  RELAY_NAMES,
  type RelayName,
  stopAllRelays,
} from '../bench/relayProcess.ts';
import { presetTable } from '../bench/report.ts';
import { type BenchConfig, BenchRunner, type PresetResult, type Reporter } from '../bench/runner.ts';

const USAGE = `usage: fernet-chat-bench [--preset NAME[,NAME...]|all] [--relays ${DEFAULT_RELAYS.join(',')}]
                         [--target HOST:PORT [--target-pid PID]] [--json] [options]

presets (default: small):
${PRESET_NAMES.map((n) => `  ${n.padEnd(9)} ${PRESETS[n].description}`).join('\n')}

relays: ours = the fernet-chat hub (${DEFAULT_HUB_ENTRY}, started with ${HUB_UNLIMITED_FLAG}: its protective
        limits such as flood control are switched off for the benchmark; it keeps history, as it
        ships); ours-nohistory = the same hub with ${HUB_NO_HISTORY_ARGS.join(' ')} (history off: not run
        unless asked for, e.g. --relays ours,ours-nohistory,batching); batching and plain = the
        baseline node:net relays in src/bench/relays; ncat = \`ncat --broker\` (if installed);
        ours-ws = our hub with its clients on WebSocket (its web listener's /ws), and ws = a plain
        broadcast relay on the ws package (src/bench/relays/wsRelay.ts): the websocket preset's
        relays, with ours and batching beside them (${WEBSOCKET_RELAYS.join(',')}) unless --relays;
        cluster = a nats-server with JetStream (started on a free port with a store of its own)
        and two of our hubs sharing one room through it, clients spread over both: the cluster
        preset's relay, beside ours (${CLUSTER_RELAYS.join(',')}); skipped without nats-server.

load (override a preset):
  --clients N  --senders S  --rate MSG_PER_S (0 = max rate)  --size BYTES  --window MSGS
  --warmup SEC  --duration SEC
max search:   --max-p99 MS (50)  --max-start MSG_PER_S (2000)  --max-steps N (10)
overload:     --max-rate MSG_PER_S  use this as every relay's max instead of searching
machine:      --no-pin  --hub-cpu N (0)  --gen-cpu N (1)  --rss-limit MIB (2048)
              --quiet-wait SEC (30): before each relay starts, wait this long at most for other
              processes to stop using the CPUs (0 = don't); runs that still see other load say so
              --repeat N (1): small/room/crowd run every relay N times, in rounds that rotate
              their order, and show each relay's median-p99 run among its quietest (least CPU
              used by other processes)
connections:  --connect-concurrency N (100)  --connect-rate PER_S (0 = no limit)
our hub:      --hub-arg ARG  (repeatable) extra argument for the hub bin (ours and ours-nohistory)
              --cpu-prof DIR  run it under node --cpu-prof: one .cpuprofile per hub start in DIR
              --hub-entry FILE (${DEFAULT_HUB_ENTRY})  another entry point; a .ts file runs through
              tsx (whose loader thread alone costs about 40 MiB of RSS), a .js file as it is
output:       --json  one JSON document on stdout;  --render FILE  tables from a saved --json output
`;

/** A bad option: one line, as the other bins say it, and exit 2. */
function fail(msg: string): never {
  process.stderr.write(`fernet-chat-bench: ${msg} (see fernet-chat-bench --help)\n`);
  process.exit(2);
}

function numberOpt(
  values: Record<string, unknown>,
  name: string,
  min: number,
  integer = false,
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    fail(
      `${name} = ${JSON.stringify(v)} from --${name}: must be ${integer ? 'a whole number' : 'a number'} of ${min} or more`,
    );
  return n;
}

function parseConfig(argv: string[]): { cfg: BenchConfig; json: boolean; pin: boolean; genCpu: number } {
  let parsed: ReturnType<typeof parse>;
  const options = {
    preset: { type: 'string', multiple: true },
    relays: { type: 'string' },
    target: { type: 'string' },
    'target-pid': { type: 'string' },
    clients: { type: 'string' },
    senders: { type: 'string' },
    rate: { type: 'string' },
    size: { type: 'string' },
    window: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    'max-p99': { type: 'string' },
    'max-start': { type: 'string' },
    'max-steps': { type: 'string' },
    'max-rate': { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'hub-cpu': { type: 'string' },
    'gen-cpu': { type: 'string' },
    'rss-limit': { type: 'string' },
    'connect-concurrency': { type: 'string' },
    'connect-rate': { type: 'string' },
    'quiet-wait': { type: 'string' },
    repeat: { type: 'string' },
    'hub-arg': { type: 'string', multiple: true },
    'cpu-prof': { type: 'string' },
    'hub-entry': { type: 'string' },
    json: { type: 'boolean', default: false },
    render: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    version: { type: 'boolean', default: false },
  } as const;
  function parse() {
    return parseArgs({ args: argv, allowPositionals: false, options });
  }
  try {
    parsed = parse();
  } catch (err) {
    fail(argsProblem(err as NodeJS.ErrnoException, Object.keys(options)));
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (v.version) {
    process.stdout.write(`fernet-chat-bench ${packageVersion()}\n`);
    process.exit(0);
  }
  if (v.render !== undefined) {
    // tables from an earlier --json output, without running anything
    const text = readFileSync(v.render, 'utf8');
    // tolerate the banner that `npm run` (without -s) prints before the JSON
    const saved = JSON.parse(text.slice(Math.max(0, text.indexOf('\n{') + 1))) as { presets: PresetResult[] };
    process.stdout.write(saved.presets.map(presetTable).join('\n'));
    process.exit(0);
  }
  const presetList = (v.preset ?? ['small']).flatMap((s) => s.split(',')).filter(Boolean);
  const presets: PresetName[] = [];
  for (const p of presetList) {
    if (p === 'all') presets.push(...PRESET_NAMES);
    else if ((PRESET_NAMES as readonly string[]).includes(p)) presets.push(p as PresetName);
    else fail(`--preset: unknown preset ${JSON.stringify(p)} (one of ${PRESET_NAMES.join(', ')}, all)`);
  }
  // Without --relays each preset runs its own (presetRelays): websocket and cluster theirs.
  let relays: RelayName[] | null = null;
  if (v.relays !== undefined) {
    relays = [];
    for (const r of v.relays.split(',').filter(Boolean)) {
      if (!(RELAY_NAMES as readonly string[]).includes(r))
        fail(`--relays: unknown relay ${JSON.stringify(r)} (one of ${RELAY_NAMES.join(', ')})`);
      relays.push(r as RelayName);
    }
  }
  let target: BenchConfig['target'] = null;
  if (v.target !== undefined) {
    const m = /^(.+):(\d+)$/.exec(v.target);
    const port = m ? Number(m[2]) : Number.NaN;
    if (!m?.[1] || !(port > 0 && port < 65536)) fail(`--target: expected HOST:PORT, got ${v.target}`);
    target = { host: m[1], port, pid: numberOpt(v, 'target-pid', 1, true) };
  }
  const cpus = allowedCpus();
  const hubCpu = numberOpt(v, 'hub-cpu', 0, true) ?? cpus[0] ?? 0;
  const genCpu = numberOpt(v, 'gen-cpu', 0, true) ?? cpus.find((c) => c !== hubCpu) ?? hubCpu;
  const pin = !v['no-pin'] && cpus.length >= 2 && hasCommand('taskset') && genCpu !== hubCpu;
  const overrides = {
    clients: numberOpt(v, 'clients', 2, true),
    senders: numberOpt(v, 'senders', 1, true),
    rate: numberOpt(v, 'rate', 0),
    size: numberOpt(v, 'size', 1, true),
    window: numberOpt(v, 'window', 1, true),
    warmupS: numberOpt(v, 'warmup', 0),
    durationS: numberOpt(v, 'duration', 0.1),
  };
  const cfg: BenchConfig = {
    presets,
    relays,
    target,
    overrides,
    search: {
      p99LimitMs: numberOpt(v, 'max-p99', 0.1) ?? DEFAULT_SEARCH.p99LimitMs,
      startRate: numberOpt(v, 'max-start', 1) ?? DEFAULT_SEARCH.startRate,
      maxSteps: numberOpt(v, 'max-steps', 1, true) ?? DEFAULT_SEARCH.maxSteps,
    },
    maxRate: numberOpt(v, 'max-rate', 1) ?? null,
    hubCpu: pin ? hubCpu : null,
    hubArgs: v['hub-arg'] ?? [],
    cpuProfDir: v['cpu-prof'] !== undefined ? path.resolve(v['cpu-prof']) : null,
    hubEntry: v['hub-entry'] ?? DEFAULT_HUB_ENTRY,
    rssLimitBytes: (numberOpt(v, 'rss-limit', 16) ?? 2048) * 1024 * 1024,
    connectConcurrency: numberOpt(v, 'connect-concurrency', 1, true) ?? 100,
    connectRate: numberOpt(v, 'connect-rate', 0) ?? 0,
    quietWaitS: numberOpt(v, 'quiet-wait', 0) ?? 30,
    repeat: numberOpt(v, 'repeat', 1, true) ?? 1,
  };
  return { cfg, json: v.json, pin, genCpu };
}

class StderrReporter implements Reporter {
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = 0;
  private showing = false;

  note(msg: string): void {
    if (this.showing) process.stderr.write('\r\x1b[K');
    this.showing = false;
    process.stderr.write(`${msg}\n`);
  }

  progress(label: string, p: Progress): void {
    const line =
      `  ${label} ${p.phase} ${p.elapsedS.toFixed(1)} s: ${Math.round(p.sentPerS)} msg/s sent, ` +
      `${Math.round(p.deliveriesPerS)} deliveries/s, gen cpu ${p.genCpuUtil.toFixed(2)}` +
      (p.hubCpuUtil !== null ? `, hub cpu ${p.hubCpuUtil.toFixed(2)}` : '') +
      (p.hubRssBytes !== null ? ` rss ${(p.hubRssBytes / 1048576).toFixed(0)} MiB` : '');
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
      this.showing = true;
    } else if (Date.now() - this.lastLine >= 5000) {
      this.lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }
}

async function main(): Promise<void> {
  const { cfg, json, pin, genCpu } = parseConfig(process.argv.slice(2));
  const out = new StderrReporter();
  // a closed pipe (e.g. `| head`) must not leave the relays running
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', () => {
      void stopAllRelays().finally(() => process.exit(1));
    });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    out.note(`${signal}: stopping the relays`);
    void stopAllRelays().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const machine = machineInfo();
  const fd = raiseFdLimit();
  const pinned = pin && pinSelf(genCpu);
  out.note(
    `fernet-chat-bench: ${machine.nproc} CPUs (${machine.model}), node ${machine.node}; ` +
      (pinned ? `relays pinned to CPU ${cfg.hubCpu}, generator to CPU ${genCpu}` : 'not pinned') +
      `; fd limit ${fd.after?.soft ?? '?'} (${fd.how})`,
  );
  if (!cfg.target && cfg.presets.some((p) => (cfg.relays ?? presetRelays(p)).some(isOurHub)))
    out.note(`our hub runs with ${HUB_UNLIMITED_FLAG}: its protective limits (flood control, caps) are off`);
  if (!pinned) cfg.hubCpu = null;
  const runner = new BenchRunner(cfg, out);
  const results = await runner.runAll();
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          machine,
          pinned: pinned ? { relay: cfg.hubCpu, generator: genCpu } : null,
          fdLimit: fd.after,
          hubFlag: HUB_UNLIMITED_FLAG,
          presets: results,
        },
        (_k, val) => (typeof val === 'number' && !Number.isFinite(val) ? null : val),
      )}\n`,
    );
  } else {
    process.stdout.write(`\n${results.map(presetTable).join('\n')}`);
    if (cfg.cpuProfDir) {
      const files = profilesIn(cfg.cpuProfDir);
      process.stdout.write(`\n### Where our hub's time went (node --cpu-prof, self time)\n\n`);
      for (const f of files.slice(-3)) process.stdout.write(`${profileTable(f)}\n`);
      if (files.length === 0) process.stdout.write('no profile was written (did the hub exit cleanly?)\n');
    }
  }
  const anyOk = results.some((r) => r.relays.some((o) => o.status === 'ok'));
  process.exitCode = anyOk ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `fernet-chat-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
