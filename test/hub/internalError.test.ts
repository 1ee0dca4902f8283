import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/streams/hubEvent.ts';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import { startHub } from '../../src/hub/startHub.ts';
import { eventually } from '../support/eventually.ts';
import { RawSocket } from '../support/rawSocket.ts';

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('a failure inside the hub (a bug)', () => {
  it('drops everyone, stops listening, logs internal-error and rejects `failed`: it never looks alive', async () => {
    // The fault is injected where the hub calls out: its log sink throws on the second join.
    const records: LogRecord[] = [];
    const fault = new Error('injected fault');
    let joins = 0;
    const hub = await startHub(hubConfigSchema.parse({ host: '127.0.0.1', port: 0 }), (record) => {
      records.push(record);
      if (record.event === 'join' && ++joins === 2) throw fault;
    });
    const outcome = hub.failed.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const port = hub.address.port;

    const alice = await RawSocket.open(port);
    await alice.waitForLine('#hello');
    const bob = await RawSocket.open(port);

    expect(await outcome).toBe(fault);
    await eventually(
      () => alice.closed && bob.closed,
      () => 'both connections to be dropped',
    );
    expect(records.filter((r) => r.event === 'internal-error')).toEqual([
      { event: 'internal-error', detail: 'Error: injected fault' },
    ]);
    expect(await refused(port)).toBe('ECONNREFUSED');
  });
});
