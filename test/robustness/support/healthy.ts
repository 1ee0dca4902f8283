import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Receiver } from './receiver.ts';
import { shapedLine } from './shapedToken.ts';

let nextSender = 900_000;

/**
 * The bar every bad-input test ends with: a fresh pair of clients on the hub still chat, each
 * receiving what the other sends, in order. Proves the hub survived and still relays.
 */
export async function expectHealthyPair(port: number, frames = 20): Promise<void> {
  const a = await Receiver.open(port);
  const b = await Receiver.open(port);
  try {
    await a.waitForNotice('#hello ');
    await b.waitForNotice('#hello ');
    const senderA = nextSender++;
    const senderB = nextSender++;
    for (let seq = 0; seq < frames; seq++) {
      a.write(shapedLine(senderA, seq));
      b.write(shapedLine(senderB, seq));
    }
    await b.waitForCount(senderA, frames);
    await a.waitForCount(senderB, frames);
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    expect(a.countFrom(senderA)).toBe(0); // never back to the sender
    expect(b.countFrom(senderB)).toBe(0);
    expect(a.countFrom(senderB)).toBe(frames);
    expect(b.countFrom(senderA)).toBe(frames);
  } finally {
    a.destroy();
    b.destroy();
  }
}

/** A process's resident set size in KiB, from /proc/<pid>/status (VmRSS). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}
