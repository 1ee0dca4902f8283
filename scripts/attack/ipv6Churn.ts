/**
 * The IPv6 /64 finding, ipv6-churn: the per-address limit counts each IPv6 address on its own,
 * but anyone holding a /64 holds 2^64 addresses. This attack reconnects, over and over, from 16
 * addresses of one /64, holding 1,500 connections and churning 200 more, and fails if the hub ever admits more
 * from the /64 at once than the per-address limit (budget.ts).
 *
 * It needs addresses this machine does not have, so it makes a network namespace of its own
 * (`ip netns add`, root only), puts the addresses on that namespace's loopback, runs the hub, the
 * healthy pair and the attacker inside it, and deletes it afterwards; the host's network is not
 * touched. Without root or `ip` it is skipped, with the reason (the limit is unit-tested too).
 */
import { execFileSync, spawn } from 'node:child_process';
import { IPV6_PER_64_CONNECTIONS } from './budget.ts';
import { sleep } from './common.ts';
import type { HubAttack } from './harness.ts';

const NETNS = `fernet-chat-attack-${process.pid}`;
const PREFIX = 'fd00:fc:0:1::';
const ADDRESSES = 16;
const HOLD = 1_500;
const CHURN = 200;
const SCRIPT = new URL('./ipv6ChurnProcess.ts', import.meta.url).pathname;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export const ipv6Churn: HubAttack = {
  name: 'ipv6-churn',
  seconds: 15,
  hub: { netns: NETNS, host: '::' },
  pair: { netns: NETNS, host: '::1' },
  async prepare() {
    if (process.getuid?.() !== 0) return { skip: 'needs root for a network namespace (ip netns add)' };
    try {
      ip('netns', 'add', NETNS);
    } catch (error) {
      return { skip: `cannot make a network namespace: ${String(error).split('\n')[0]}` };
    }
    const cleanup = async () => {
      try {
        ip('netns', 'del', NETNS);
      } catch {
        // already gone
      }
    };
    try {
      ip('-n', NETNS, 'link', 'set', 'lo', 'up');
      for (let i = 0; i < ADDRESSES; i++)
        ip('-n', NETNS, '-6', 'addr', 'add', `${PREFIX}${(0x100 + i).toString(16)}/64`, 'dev', 'lo', 'nodad');
    } catch (error) {
      await cleanup();
      return { skip: `cannot add IPv6 addresses in the namespace: ${String(error).split('\n')[0]}` };
    }
    return { cleanup };
  },
  async run(ctx) {
    // It starts a second or so late (tsx), and must report before the attack's time is up.
    const seconds = Math.max(2, ctx.seconds - 2);
    const args = [String(ctx.port), String(seconds), PREFIX, String(ADDRESSES), String(HOLD), String(CHURN)];
    const child = spawn(
      'ip',
      ['netns', 'exec', NETNS, process.execPath, '--import', 'tsx', SCRIPT, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        out = (out + text).slice(-4096);
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      while (!ctx.stopped() && child.exitCode === null && child.signalCode === null) await ctx.pause(100);
      await Promise.race([exited, sleep(5_000)]);
      const report = JSON.parse(out.trim().split('\n').pop() || '{}') as {
        peakAdmitted?: number;
        refused?: number;
        opened?: number;
      };
      if (report.peakAdmitted === undefined) return { failures: ['the churn attacker reported nothing'] };
      return {
        failures:
          report.peakAdmitted > IPV6_PER_64_CONNECTIONS
            ? [`the hub admitted ${report.peakAdmitted} at once from one /64 > ${IPV6_PER_64_CONNECTIONS}`]
            : [],
        notes: [
          `${report.opened} connections from ${ADDRESSES} addresses of one /64; at most ${report.peakAdmitted} admitted at once, ${report.refused} refused`,
        ],
      };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  },
};
