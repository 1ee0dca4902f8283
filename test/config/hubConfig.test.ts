import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.ts';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
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
