import { describe, expect, it } from 'vitest';
import { clientConfigSchema, hubListOf } from '../../src/config/clientConfig.ts';
import { ConfigError } from '../../src/config/configError.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';

describe("the client's --hub list (fail over between the hubs of a cluster)", () => {
  it('takes host:port entries in order; a host alone takes --port; IPv6 in brackets', () => {
    expect(hubListOf('hub1.example.org:10101, hub2:20202,[::1]:3,h3', 10101)).toEqual([
      { host: 'hub1.example.org', port: 10101 },
      { host: 'hub2', port: 20202 },
      { host: '::1', port: 3 },
      { host: 'h3', port: 10101 },
    ]);
  });

  it('refuses what is not such a list, in one line of our words', () => {
    expect(hubListOf('', 1)).toBeUndefined();
    expect(hubListOf('a:70000', 1)).toBeUndefined();
    expect(hubListOf('nats://a:1', 1)).toBeUndefined();
    expect(() => loadConfig(clientConfigSchema, { env: {}, flags: { hub: 'a b' } })).toThrow(ConfigError);
    try {
      loadConfig(clientConfigSchema, { env: {}, flags: { hub: 'a b' } });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'hub = "a b" from --hub: must be hubs such as hub1.example.org:10101,hub2.example.org:10101 (host:port, comma-separated)',
      ]);
    }
  });
});
