import { describe, expect, it } from 'vitest';
import { AddressBuckets } from '../../src/actors/addressBuckets.ts';
import { addressKey } from '../../src/actors/addressKey.ts';

describe('addressKey (what per-address limits count)', () => {
  it('is the address itself for IPv4, and for IPv4 mapped into IPv6', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('is the /64 for IPv6: every address of one /64 counts as one, another /64 apart', () => {
    const key = addressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const other of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0db8:0001:0002:0:0:0:9',
      '2001:db8:1:2::1%eth0',
    ])
      expect(addressKey(other), other).toBe(key);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8::192.0.2.1')).toBe('2001:db8:0:0::/64');
  });

  it('passes anything else through (a socket whose peer is already gone says `?`)', () => {
    expect(addressKey('?')).toBe('?');
  });
});

describe('AddressBuckets (flood control per address)', () => {
  it('gives the connections of one address one bucket, kept after they leave until it has refilled', () => {
    const buckets = new AddressBuckets(10, 20);
    const first = buckets.acquire('192.0.2.1', 0);
    first.take(20, 0);
    buckets.release('192.0.2.1', 0);
    // Reconnecting at once finds the same empty bucket, not a fresh burst.
    const again = buckets.acquire('192.0.2.1', 100);
    expect(again).toBe(first);
    expect(again.available(100)).toBe(1);
    expect(buckets.acquire('192.0.2.2', 100)).not.toBe(first);
    buckets.release('192.0.2.1', 100);
    buckets.release('192.0.2.2', 100);
    // Refilled (2 s at 10/s), it is the same as a new one and is forgotten.
    expect(buckets.size).toBe(1);
    buckets.acquire('192.0.2.9', 5_000);
    expect(buckets.acquire('192.0.2.1', 5_000).available(5_000)).toBe(20);
  });

  it('stays bounded under churn from many addresses: full, unused buckets are swept', () => {
    const buckets = new AddressBuckets(10, 20);
    for (let i = 0; i < 50_000; i++) {
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      buckets.acquire(address, i).take(1, i);
      buckets.release(address, i);
    }
    // Each refills in 100 ms of the 1 ms steps: only the last ~100 can still be there, and the
    // sweep runs once the map has doubled past its floor.
    expect(buckets.size).toBeLessThanOrEqual(2_048);
  });
});
