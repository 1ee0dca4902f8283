import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectError, connectError, tlsError } from '../../src/streams/connectError.ts';
import { connectSocket } from '../../src/streams/connectSocket.ts';

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ConnectError', () => {
  it('has a code of its own, not the system error code, and one line that says what to check', async () => {
    const port = await closedPort();
    const error = await connectSocket('127.0.0.1', port).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({
      code: 'refused',
      message: `cannot connect to the hub at 127.0.0.1:${port}: connection refused (is the hub running? check --host and --port)`,
    });
    const unknown = await connectSocket('no-such-host.invalid', 1).catch((reason: unknown) => reason);
    expect(unknown).toMatchObject({ code: 'unknown-host' });
  });

  it('names an unreachable host, and keeps the system code of anything else in the line', () => {
    const of = (code: string) => connectError(Object.assign(new Error(code), { code }), 'hub', 1);
    expect(of('EHOSTUNREACH').code).toBe('unreachable');
    expect(of('EPERM')).toMatchObject({
      code: 'connect-failed',
      message: 'cannot connect to the hub at hub:1: the system refused (EPERM)',
    });
  });
});

describe('tlsError', () => {
  const of = (code: string, ca?: string, reason?: string) =>
    tlsError(Object.assign(new Error(code), { code, reason }), 'hub', 1, ca === undefined ? {} : { ca });

  it('says what the certificate check found, and which setting to look at', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ])
      expect(of(code)).toMatchObject({
        code: 'untrusted',
        message:
          'cannot connect to the hub at hub:1 with TLS: its certificate is not signed by a CA this machine trusts (a self-signed hub: give its CA with --tls-ca FILE)',
      });
    expect(of('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'PEM').message).toContain(
      'not signed by the CA in --tls-ca',
    );
    expect(
      of('ERR_TLS_CERT_ALTNAME_INVALID', undefined, "Host: hub. is not in the cert's altnames"),
    ).toMatchObject({
      code: 'wrong-host',
      message:
        "cannot connect to the hub at hub:1 with TLS: its certificate is not for hub (Host: hub. is not in the cert's altnames; check --host)",
    });
    expect(of('CERT_HAS_EXPIRED').code).toBe('bad-certificate');
    expect(of('ERR_SSL_WRONG_VERSION_NUMBER').code).toBe('not-tls');
    expect(of('ERR_SSL_SOMETHING_NEW')).toMatchObject({
      code: 'tls-failed',
      message:
        'cannot connect to the hub at hub:1 with TLS: the TLS handshake failed (ERR_SSL_SOMETHING_NEW)',
    });
    // Before the handshake, a connect error is a connect error.
    expect(of('ECONNREFUSED').code).toBe('refused');
  });
});
