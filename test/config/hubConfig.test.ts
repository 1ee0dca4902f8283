import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.ts';
import { clusterServersOf, hubConfigSchema, MAX_HISTORY_SECONDS } from '../../src/config/hubConfig.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';

const load = (flags: Record<string, string>) => loadConfig(hubConfigSchema, { env: {}, flags });

describe('hub configuration', () => {
  it('refuses a frame limit that one frame could use to overflow every queue', () => {
    expect(() => load({ maxFrameBytes: '2000000' })).toThrow(ConfigError);
    try {
      load({ maxFrameBytes: '2000000' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'maxQueueBytes = 1048576 (the default): must be at least twice --max-frame-bytes, so that one frame cannot make a client a slow consumer',
      ]);
    }
  });

  it('accepts a large frame limit with a queue to match', () => {
    expect(load({ maxFrameBytes: '2000000', maxQueueBytes: '4000002' }).maxQueueBytes).toBe(4_000_002);
  });
});

describe('history settings', () => {
  const problemsOf = (flags: Record<string, string>): readonly string[] => {
    try {
      load(flags);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('keep the last 500 frames, for an hour, 16 MiB at most, by default', () => {
    const config = load({});
    expect([config.historyFrames, config.historySeconds, config.historyBytes]).toEqual([
      500,
      3_600,
      16 * 1024 * 1024,
    ]);
    expect(config.historySeconds).toBeLessThan(MAX_HISTORY_SECONDS);
  });

  it('accept 0 for each, which turns history off', () => {
    for (const key of ['historyFrames', 'historySeconds', 'historyBytes'] as const)
      expect(load({ [key]: '0' })[key], key).toBe(0);
  });

  it('refuse an age of 24 h or more in one line that says why: clients would refuse such frames', () => {
    for (const seconds of ['86400', '90000'])
      expect(problemsOf({ historySeconds: seconds })).toEqual([
        `historySeconds = ${seconds} from --history-seconds: must be under 86400 (24 h): clients refuse messages older than their TTL, 24 h by default`,
      ]);
    expect(load({ historySeconds: '86399' }).historySeconds).toBe(86_399);
  });

  it('refuse negative values in our words, one line each', () => {
    expect(problemsOf({ historyFrames: '-1', historySeconds: '-1', historyBytes: '-1' })).toEqual([
      'historyFrames = -1 from --history-frames: must be a whole number from 0 to 1000000',
      'historySeconds = -1 from --history-seconds: must be 0 (no history) or more',
      'historyBytes = -1 from --history-bytes: must be a whole number of 0 or more',
    ]);
  });
});

describe('cluster settings', () => {
  const problemsOf = (flags: Record<string, string>): readonly string[] => {
    try {
      load(flags);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('are off by default: the room is lobby, and no NATS is needed', () => {
    const config = load({});
    expect(config.cluster).toBeUndefined();
    expect(config.room).toBe('lobby');
  });

  it('take NATS servers as nats:// URLs, comma-separated, and a room name', () => {
    const config = load({ cluster: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222', room: 'team-7' });
    expect(clusterServersOf(config.cluster!)).toEqual(['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
    expect(config.room).toBe('team-7');
  });

  it('refuse what is not a NATS server or a room name, in our words', () => {
    expect(problemsOf({ cluster: 'http://10.0.0.1:4222' })).toEqual([
      'cluster = "http://10.0.0.1:4222" from --cluster: must be NATS servers such as nats://127.0.0.1:4222, comma-separated',
    ]);
    expect(problemsOf({ cluster: 'nats://h:4222', room: 'a.b' })).toEqual([
      'room = "a.b" from --room: must be 1 to 64 letters, digits, _ or -',
    ]);
    expect(problemsOf({ cluster: 'nats://h:4222', framing: 'chunk' })).toEqual([
      expect.stringMatching(/^cluster = .*cannot be used with --framing chunk/),
    ]);
    expect(problemsOf({ clusterMaxUnackedBytes: '100' })).toEqual([
      'clusterMaxUnackedBytes = 100 from --cluster-max-unacked-bytes: must be a whole number of 4096 or more',
    ]);
    // JetStream keeps at most 5 copies of a stream.
    expect(problemsOf({ clusterReplicas: '6' })).toEqual([
      expect.stringMatching(/^clusterReplicas = 6 from --cluster-replicas: /),
    ]);
    expect(problemsOf({ clusterReplicas: '0' })).toEqual([
      expect.stringMatching(/^clusterReplicas = 0 from --cluster-replicas: /),
    ]);
    expect(problemsOf({ clusterReplicas: '3' })).toEqual([]);
  });
});
