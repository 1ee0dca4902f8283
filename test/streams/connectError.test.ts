import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectError, connectError } from '../../src/streams/connectError.ts';
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
