import { describe, expect, it } from 'vitest';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import { HubStartError, listenError } from '../../src/hub/hubStartError.ts';
import { startHub } from '../../src/hub/startHub.ts';

async function startError(host: string): Promise<HubStartError> {
  const config = hubConfigSchema.parse({ host, port: 0 });
  const error = await startHub(config, () => {}).then(
    (hub) => {
      hub.abort();
      throw new Error(`the hub started on ${host}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HubStartError);
  return error as HubStartError;
}

describe('the hub that cannot listen', () => {
  it('says so in our words for an address this machine does not have, not as Node does', async () => {
    // 192.0.2.0/24 is for documentation (RFC 5737): no machine has it.
    const error = await startError('192.0.2.1');
    expect(error.code).toBe('no-such-address');
    expect(error.message).toBe(
      'cannot listen on 192.0.2.1:0: no such address on this machine (check --host)',
    );
  });

  it('says so for a host name that does not resolve', async () => {
    const error = await startError('no-such-host.invalid');
    expect(error.code).toBe('unknown-host');
    expect(error.message).toBe(
      'cannot listen on no-such-host.invalid:0: no such host name or address (check --host)',
    );
  });

  it('gives each system error a code and one line', () => {
    const of = (code: string) => listenError(Object.assign(new Error(code), { code }), '::1', 80);
    expect(of('EADDRINUSE').code).toBe('address-in-use');
    expect(of('EACCES').message).toBe(
      'cannot listen on [::1]:80: permission denied (ports below 1024 need privileges; try --port)',
    );
    expect(of('EINVAL')).toMatchObject({
      code: 'listen-failed',
      message: 'cannot listen on [::1]:80: the system refused (EINVAL; check --host and --port)',
    });
  });
});
