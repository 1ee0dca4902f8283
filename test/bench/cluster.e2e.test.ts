import { describe, expect, it } from 'vitest';
import { LoadSession } from '../../src/bench/generator.ts';
import { natsReadyPort } from '../../src/bench/clusterRelay.ts';
import { presetTable } from '../../src/bench/report.ts';
import { BenchRunner, type Reporter } from '../../src/bench/runner.ts';
import { natsMissing } from '../support/natsServer.ts';

describe('the cluster preset, in parts', () => {
  it('spreads clients over the hubs of a cluster, round-robin by index', () => {
    const session = new LoadSession({
      host: '127.0.0.1',
      port: 1,
      ports: [5001, 5002],
      clients: 4,
      size: 200,
    });
    expect([0, 1, 2, 3].map((i) => session.portOf(i))).toEqual([5001, 5002, 5001, 5002]);
    const alone = new LoadSession({ host: '127.0.0.1', port: 7, clients: 2, size: 200 });
    expect(alone.portOf(1)).toBe(7);
  });

  it("reads nats-server's client port once it says it is ready", () => {
    const portOf = natsReadyPort();
    expect(portOf('[1] [INF] Listening for client connections on 127.0.0.1:38211')).toBeNull();
    expect(portOf('[1] [INF] Server is ready')).toBe(38211);
  });
});

describe.skipIf(natsMissing('the cluster bench preset'))('bench --preset cluster, end to end', () => {
  it('measures one hub and nats-server with 2 hubs side by side, the cluster losing nothing', async () => {
    const notes: string[] = [];
    const out: Reporter = { note: (msg) => notes.push(msg), progress: () => {} };
    const runner = new BenchRunner(
      {
        presets: ['cluster'],
        relays: null,
        target: null,
        overrides: { clients: 10, senders: 2, rate: 200, warmupS: 0.2, durationS: 1 },
        search: { p99LimitMs: 50, startRate: 2000, maxSteps: 1 },
        maxRate: null,
        hubCpu: null,
        hubArgs: [],
        cpuProfDir: null,
        hubEntry: 'src/bin/hub.ts',
        rssLimitBytes: 2048 * 1024 * 1024,
        connectConcurrency: 100,
        connectRate: 0,
        repeat: 1,
        quietWaitS: 0,
      },
      out,
    );
    const [result] = await runner.runAll();
    const table = presetTable(result!);
    const context = `${notes.join('\n')}\n${table}`;
    expect(
      result!.relays.map((o) => [o.relay, o.status]),
      context,
    ).toEqual([
      ['ours', 'ok'],
      ['cluster', 'ok'],
    ]);
    const cluster = result!.relays[1]!.run!;
    expect(cluster, context).toMatchObject({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      malformed: 0,
      disconnects: 0,
    });
    expect(cluster.received).toBe(cluster.expected);
    expect(cluster.received).toBeGreaterThan(0);
    expect(cluster.parts?.map((p) => p.label)).toEqual(['hub 1', 'hub 2', 'nats-server']);
    expect(notes.some((n) => /cluster: connecting 10 clients to ports \d+, \d+ in turn/.test(n))).toBe(true);
    expect(table).toMatch(/\| *fernet-chat hub *\| *2 hubs \+ nats-server *\| *cluster ÷ ours *\|/);
    expect(table).toMatch(/\| lost \/ dup \/ reord +\| 0 \/ 0 \/ 0 +\| 0 \/ 0 \/ 0 +\|/);
    expect(table).toMatch(/\| +nats-server CPU s \(util\) +\| - +\| \d+\.\d\d \(/);
  }, 30_000);
});
