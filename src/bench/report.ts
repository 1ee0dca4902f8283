/** Tables for the end of a benchmark run: one per preset, relays side by side, ours as ratios. */
import type { RunResult } from './runTypes.ts';
import type { PresetResult, RelayOutcome } from './runner.ts';

const MiB = 1024 * 1024;

type Cell = string;
interface Row {
  label: string;
  value: (o: RelayOutcome) => Cell;
  /** ours ÷ baseline for this row, if it makes sense */
  ratio?: (ours: RelayOutcome, base: RelayOutcome) => number | null;
}

const num = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

export function fmtCount(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(2)} k`;
  return v.toFixed(0);
}

const ms = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1);

function runOf(o: RelayOutcome): RunResult | null {
  return o.run;
}

function div(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

const runRows: Row[] = [
  {
    label: 'offered msg/s',
    value: (o) => {
      const r = runOf(o);
      return r
        ? r.offeredMsgPerS === null
          ? `max (${r.window} in flight)`
          : fmtCount(r.offeredMsgPerS)
        : '-';
    },
  },
  { label: 'sent msg/s', value: (o) => fmtCount(runOf(o)?.sentPerS) },
  {
    label: 'deliveries/s offered',
    value: (o) =>
      fmtCount(
        runOf(o)?.offeredDeliveriesPerS ?? (runOf(o) ? runOf(o)!.sentPerS * (runOf(o)!.ready - 1) : null),
      ),
  },
  {
    label: 'deliveries/s achieved',
    value: (o) => fmtCount(runOf(o)?.deliveriesPerS),
    ratio: (a, b) => div(runOf(a)?.deliveriesPerS, runOf(b)?.deliveriesPerS),
  },
  {
    label: 'latency p50 ms',
    value: (o) => ms(runOf(o)?.latencyMs.p50),
    ratio: (a, b) => div(runOf(a)?.latencyMs.p50, runOf(b)?.latencyMs.p50),
  },
  { label: 'latency p90 ms', value: (o) => ms(runOf(o)?.latencyMs.p90) },
  {
    label: 'latency p99 ms',
    value: (o) => ms(runOf(o)?.latencyMs.p99),
    ratio: (a, b) => div(runOf(a)?.latencyMs.p99, runOf(b)?.latencyMs.p99),
  },
  { label: 'latency max ms', value: (o) => ms(runOf(o)?.latencyMs.max) },
  {
    label: 'lost / dup / reord',
    value: (o) => {
      const r = runOf(o);
      return r ? `${r.lost} / ${r.duplicated} / ${r.reordered}` : '-';
    },
  },
  {
    label: 'malformed / disconnects',
    value: (o) => {
      const r = runOf(o);
      return r ? `${r.malformed} / ${r.disconnects}` : '-';
    },
  },
  {
    label: 'unsent (pushed back)',
    value: (o) => {
      const r = runOf(o);
      return r ? `${r.unsent}${r.sendBlocked ? ` (${r.sendBlocked} stalls)` : ''}` : '-';
    },
  },
  {
    label: 'hub CPU s (util)',
    value: (o) => {
      const h = runOf(o)?.hub;
      return h ? `${h.cpuS.toFixed(2)} (${h.cpuUtil.toFixed(2)})` : '-';
    },
    ratio: (a, b) => div(runOf(a)?.hub?.cpuS, runOf(b)?.hub?.cpuS),
  },
  {
    label: 'hub peak RSS MiB',
    value: (o) => {
      const h = runOf(o)?.hub;
      return h ? num(h.peakRssBytes / MiB, 1) : '-';
    },
    ratio: (a, b) => div(runOf(a)?.hub?.peakRssBytes, runOf(b)?.hub?.peakRssBytes),
  },
  {
    label: 'connects/s',
    value: (o) => fmtCount(o.connect?.perSecond),
    ratio: (a, b) => div(a.connect?.perSecond, b.connect?.perSecond),
  },
  {
    label: 'other load on machine',
    value: (o) => {
      const m = runOf(o)?.machine;
      return m ? `${m.other.toFixed(2)} CPU${m.noisy ? ' NOISY' : ''}` : '-';
    },
  },
  {
    label: 'generator cpu / loop',
    value: (o) => {
      const g = runOf(o)?.gen;
      return g ? `${g.cpuUtil.toFixed(2)} / ${g.elu.toFixed(2)}${g.bottleneck ? ' BOUND' : ''}` : '-';
    },
  },
];

const maxRows: Row[] = [
  {
    label: 'max msg/s (p99<limit, 0 loss)',
    value: (o) => (o.maxRate === null ? 'none' : `${fmtCount(o.maxRate)}${o.maxBound ? ' (at least)' : ''}`),
    ratio: (a, b) => div(a.maxRate, b.maxRate),
  },
  {
    label: 'deliveries/s at max',
    value: (o) => fmtCount(o.maxDeliveriesPerS),
    ratio: (a, b) => div(a.maxDeliveriesPerS, b.maxDeliveriesPerS),
  },
  {
    label: 'p99 ms at max',
    value: (o) => (o.maxRate === null ? '-' : ms(o.run?.latencyMs.p99)),
    ratio: (a, b) => (a.maxRate && b.maxRate ? div(a.run?.latencyMs.p99, b.run?.latencyMs.p99) : null),
  },
  {
    label: 'hub peak RSS MiB at max',
    value: (o) => (o.run?.hub ? num(o.run.hub.peakRssBytes / MiB, 1) : '-'),
  },
  {
    label: 'steps (msg/s: pass/FAIL)',
    value: (o) =>
      (o.search ?? []).map((s) => `${fmtCount(s.rate).replace(' ', '')}${s.pass ? '' : '!'}`).join(' '),
  },
];

const overloadRows: Row[] = [
  { label: 'own max msg/s', value: (o) => fmtCount(o.maxRate) },
  ...runRows.filter((r) => r.label !== 'connects/s'),
  {
    label: 'delivered ÷ own max',
    value: (o) => num(o.deliveredVsMax, 2),
  },
  { label: 'stopped', value: (o) => o.run?.aborted ?? '-' },
];

const idleRows: Row[] = [
  {
    label: 'connections open / asked',
    value: (o) => (o.idle ? `${o.idle.connected} / ${o.idle.requested}` : '-'),
    ratio: (a, b) => div(a.idle?.connected, b.idle?.connected),
  },
  { label: 'relayed to (ready)', value: (o) => (o.idle ? String(o.idle.ready) : '-') },
  {
    label: 'connects/s',
    value: (o) => fmtCount(o.connect?.perSecond),
    ratio: (a, b) => div(a.connect?.perSecond, b.connect?.perSecond),
  },
  { label: 'hub RSS before MiB', value: (o) => (o.idle ? num(o.idle.rssBeforeBytes / MiB, 1) : '-') },
  {
    label: 'hub RSS with all open MiB',
    value: (o) => (o.idle ? num(o.idle.rssAfterBytes / MiB, 1) : '-'),
    ratio: (a, b) => div(a.idle?.rssAfterBytes, b.idle?.rssAfterBytes),
  },
  {
    label: 'KiB per connection',
    value: (o) => (o.idle ? num(o.idle.bytesPerConnection / 1024, 1) : '-'),
    ratio: (a, b) => div(a.idle?.bytesPerConnection, b.idle?.bytesPerConnection),
  },
  {
    label: 'fd limit hub / generator',
    value: (o) => (o.idle ? `${num(o.idle.hubFdLimit?.soft)} / ${num(o.idle.genFdLimit?.soft)}` : '-'),
  },
  {
    label: 'CPU s hub / generator',
    value: (o) => (o.idle ? `${num(o.idle.hubCpuS, 2)} / ${num(o.idle.genCpuS, 2)}` : '-'),
  },
  { label: 'notices received', value: (o) => (o.idle ? fmtCount(o.idle.notices) : '-') },
  { label: 'first error', value: (o) => o.idle?.firstError || '-' },
];

const cpuCell = (cpuS: number | undefined, util: number | undefined): Cell =>
  cpuS === undefined || !Number.isFinite(cpuS) ? '-' : `${cpuS.toFixed(2)} (${num(util, 2)})`;

/**
 * For a table with a relay of several processes (the cluster): its hub rows are all its processes
 * together, and a row per process and one for the generator follow, each process's as a ratio to
 * the whole of a one-process relay (a cluster's hub against the single hub).
 */
function withPartRows(rows: Row[], labels: string[]): Row[] {
  const part = (o: RelayOutcome, label: string) => runOf(o)?.parts?.find((x) => x.label === label);
  const perPart: Row[] = labels.map((label) => ({
    label: `  ${label} CPU s (util)`,
    value: (o) => {
      const x = part(o, label);
      return x ? cpuCell(x.cpuS, x.cpuUtil) : '-';
    },
    // a hub of the cluster against the single hub; nats-server has no counterpart there
    ratio: label.startsWith('hub')
      ? (a, b) => div(part(a, label)?.cpuS, runOf(b)?.parts ? null : runOf(b)?.hub?.cpuS)
      : undefined,
  }));
  const generator: Row = {
    label: 'generator CPU s (util)',
    value: (o) => cpuCell(runOf(o)?.gen.cpuS, runOf(o)?.gen.cpuUtil),
    ratio: (a, b) => div(runOf(a)?.gen.cpuS, runOf(b)?.gen.cpuS),
  };
  const renamed: Record<string, string> = {
    'hub CPU s (util)': 'relay CPU s (util), all processes',
    'hub peak RSS MiB': 'peak RSS MiB, all processes',
  };
  return rows.flatMap((row) => {
    const named = renamed[row.label] ? { ...row, label: renamed[row.label]! } : row;
    if (row.label === 'hub CPU s (util)') return [named, ...perPart, generator];
    return [named];
  });
}

function rowsFor(kind: string): Row[] {
  if (kind === 'max') return maxRows;
  if (kind === 'overload') return overloadRows;
  if (kind === 'idle') return idleRows;
  return runRows;
}

/** A markdown table (readable as plain text too). */
export function presetTable(p: PresetResult): string {
  // A cluster that could not run (no nats-server) has no column: its note says why.
  const shown = p.relays.filter((o) => !(o.relay === 'cluster' && o.status === 'skipped'));
  const partLabels = shown.map((o) => o.run?.parts?.map((x) => x.label) ?? []).find((l) => l.length > 1);
  const rows = partLabels ? withPartRows(rowsFor(p.kind), partLabels) : rowsFor(p.kind);
  const ours = shown.find((o) => o.relay === 'ours');
  const bases = shown.filter((o) => o.relay !== 'ours' && o.relay !== 'target' && o.relay !== 'cluster');
  const header = ['', ...shown.map((o) => o.label)];
  if (ours) for (const b of bases) header.push(`ours ÷ ${b.relay}`);
  // Over WebSocket, our hub against the ws package's relay: the figure the websocket preset is for.
  const oursWs = shown.find((o) => o.relay === 'ours-ws');
  const wsBase = shown.find((o) => o.relay === 'ws');
  const wsPair = oursWs && wsBase ? { ours: oursWs, base: wsBase } : undefined;
  if (wsPair) header.push('ours-ws ÷ ws');
  // The cluster against the single hub at the same load: the figure the cluster preset is for.
  const cluster = shown.find((o) => o.relay === 'cluster');
  const clusterPair = cluster && ours ? { ours: cluster, base: ours } : undefined;
  if (clusterPair) header.push('cluster ÷ ours');
  const body: string[][] = [];
  for (const row of rows) {
    const line = [row.label];
    for (const o of shown)
      line.push(o.status === 'ok' ? row.value(o) : o.status === 'skipped' ? 'skipped' : 'error');
    if (ours)
      for (const b of bases) {
        if (!row.ratio) line.push('');
        else if (ours.status !== 'ok') line.push('pending');
        else if (b.status !== 'ok') line.push('-');
        else {
          const r = row.ratio(ours, b);
          line.push(r === null ? '-' : `${r.toFixed(2)}×`);
        }
      }
    for (const pair of [wsPair, clusterPair]) {
      if (!pair) continue;
      const { ours: a, base: b } = pair;
      const r = row.ratio && a.status === 'ok' && b.status === 'ok' ? row.ratio(a, b) : null;
      line.push(!row.ratio ? '' : r === null ? '-' : `${r.toFixed(2)}×`);
    }
    body.push(line);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const lines = [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(fmt)];
  const notes: string[] = [];
  for (const o of p.relays) {
    if (o.note) notes.push(`${o.label}: ${o.note}`);
    if (o.maxBound) notes.push(`${o.label}: ${o.maxBound}`);
    const b = o.run?.gen.bottleneck;
    if (b && p.kind !== 'max')
      notes.push(
        `${o.label}: generator-limited: ${b}; the relay may do better than this (more throughput, less latency)`,
      );
    if (o.runs && o.runs > 1)
      notes.push(
        `${o.label}: the median p99 of its ${o.quietRuns ?? 1} quietest of ${o.runs} runs (rounds rotate the relays' order)`,
      );
    const m = o.run?.machine;
    if (m?.noisy && !b)
      notes.push(
        `${o.label}: the machine was busy with other work during the run (${m.other.toFixed(2)} CPU besides ` +
          `the relay and the generator, steal ${m.steal.toFixed(2)}): rerun on a quiet machine`,
      );
    if (o.run?.hub && !o.run.hub.peakIsExact)
      notes.push(`${o.label}: peak RSS is the highest sampled, not VmHWM`);
  }
  const pr = p.params;
  const head =
    `### ${p.preset}: ${p.description}\n\n` +
    (p.kind === 'idle'
      ? ''
      : `N=${pr.clients}, S=${pr.senders}, ~${pr.size} B lines, warm-up ${pr.warmupS} s, measured ${pr.durationS} s\n\n`);
  return `${head}${lines.join('\n')}\n${notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}
