import { describe, expect } from 'vitest';
import { readKeyFile } from '../../src/crypto/keyFile.ts';
import { startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { CHAVE, useSeedSession } from './seedSession.ts';
import { envelopeIn, itHasPython, itWithPython, PythonProcess } from './python.ts';

// A Python peer that behaves like the seed's client.py (python/seed_peer.py: bare text,
// Fernet.encrypt, no LF, one recv(4096) per message) chats through OUR hub in chunk framing with
// OUR client. The peer loads the seed's pickled chave.key as the seed does; our client uses the
// key file that `fernet-chat-keygen --from-seed` made of the same chave.key. Messages are paced:
// each is seen to arrive before the next is sent, since chunk framing takes one read to be one
// message.

const seed = useSeedSession('fernet-chat-seed-hub-');

async function chunkHub() {
  return startTestHub(['--framing', 'chunk']);
}

function seedPeer(port: number, label = 'seed peer'): PythonProcess {
  return new PythonProcess(label, 'seed_peer.py', ['--port', String(port), '--chave', CHAVE]);
}

function ourClient(port: number, name: string) {
  return startTestClient(port, seed.keyFile, name, '--framing', 'chunk');
}

const received = (peer: PythonProcess) => peer.events().filter((event) => event.event === 'received');
const errors = (peer: PythonProcess) => peer.events().filter((event) => event.event === 'error');

describe('a seed-like Python client and our client, through our hub in chunk framing', () => {
  itHasPython();

  itWithPython('chat both ways: bare text shows as `?: text`, our envelopes reach Python', async () => {
    const hub = await chunkHub();
    const peer = seedPeer(hub.port);
    await peer.waitForEvent((event) => event.event === 'connected');
    await hub.bin.waitForLine('stderr', /event=join .*online=1/);
    const alice = ourClient(hub.port, 'alice');
    // Our client announces itself on connecting: once Python has read that, both are in.
    await peer.waitForEvent((event) => envelopeIn(event).kind === 'join');
    expect(envelopeIn(received(peer)[0]!)).toMatchObject({ kind: 'join', from: 'alice' });

    const exchange: readonly ['python' | 'alice', string][] = [
      ['python', 'hello from the seed client'],
      ['alice', 'hello from fernet-chat'],
      ['python', 'olá, ünïcödé — 日本語 🎉'],
      ['alice', 'ça va? 👋 — ok'],
      ['python', 'x'.repeat(2000)],
      ['alice', 'y'.repeat(2000)],
    ];
    for (const [who, text] of exchange) {
      if (who === 'python') {
        peer.write(`${text}\n`);
        await alice.waitForLine('stdout', `?: ${text}`);
      } else {
        alice.write(`${text}\n`);
        const event = await peer.waitForEvent((e) => envelopeIn(e).text === text);
        // Signed (v2): the seed shows it as text either way, and our clients on its server verify it.
        expect(envelopeIn(event)).toMatchObject({ v: 2, kind: 'message', from: 'alice', text });
        // One recv() was one whole token and its LF: the seed's assumption held.
        expect(event.bytes).toBeLessThanOrEqual(4096);
      }
    }

    // Python read only tokens (no #hello, no notices: it would have choked on them), one per recv.
    expect(errors(peer)).toEqual([]);
    expect(received(peer).map((event) => envelopeIn(event).kind)).toEqual([
      'join',
      'message',
      'message',
      'message',
    ]);
    expect(alice.lines('stdout')).toEqual(
      exchange.filter(([who]) => who === 'python').map(([, text]) => `?: ${text}`),
    );
    expect(alice.stderr).not.toMatch(/^!/m);
    expect(hub.bin.stderr).not.toContain('event=reject');

    // End of input: our client says it leaves, and exits 0.
    alice.endInput();
    await peer.waitForEvent((event) => envelopeIn(event).kind === 'leave');
    expect((await alice.waitForExit()).code).toBe(0);
    expect(errors(peer)).toEqual([]);
  });

  itWithPython(
    'two seed-like Python clients chat through our hub (it adds an LF Python ignores)',
    async () => {
      const hub = await chunkHub();
      const first = seedPeer(hub.port, 'first peer');
      const second = seedPeer(hub.port, 'second peer');
      await hub.bin.waitForLine('stderr', /event=join .*online=2/);
      for (const [from, to, text] of [
        [first, second, 'one'],
        [second, first, 'two — dois'],
        [first, second, 'três'],
      ] as const) {
        from.write(`${text}\n`);
        const event = await to.waitForEvent((e) => e.event === 'received' && e.text === text);
        // The sender reports `sent` after its sendall() returns, on a pipe of its own: the receiver
        // can report first, so the sender's report is waited for, not assumed.
        const sent = await from.waitForEvent((e) => e.event === 'sent' && e.text === text);
        expect(event.bytes).toBe((sent.bytes as number) + 1);
      }
      expect([...errors(first), ...errors(second)]).toEqual([]);
    },
  );

  itWithPython('our client does not send what the seed could not read in one recv(4096)', async () => {
    const hub = await chunkHub();
    const peer = seedPeer(hub.port);
    await hub.bin.waitForLine('stderr', /event=join .*online=1/);
    const alice = ourClient(hub.port, 'alice');
    await peer.waitForEvent((event) => envelopeIn(event).kind === 'join');

    alice.write(`${'z'.repeat(3000)}\n`);
    // The refusal names the limit, and the limit is true: 2,700 bytes go through below (a
    // signature and its key take about 200 of the 4,096).
    const refusal = await alice.waitForLine('stderr', '! not sent: message too long (3000 bytes; at most ');
    const limit = Number(/at most (\d+) fit in one message\)$/.exec(refusal)?.[1]);
    expect(limit).toBeGreaterThanOrEqual(2700);
    expect(limit).toBeLessThan(3000);
    const longest = 'w'.repeat(2700);
    alice.write(`${longest}\n`);
    const event = await peer.waitForEvent((e) => envelopeIn(e).text === longest);
    expect(event.bytes).toBeLessThanOrEqual(4096);
    expect(received(peer).map((e) => envelopeIn(e).kind)).toEqual(['join', 'message']);
    expect(errors(peer)).toEqual([]);
  });

  itWithPython(
    'a limit it inherits: a token split over two reads is lost, and the chat goes on',
    async () => {
      const hub = await chunkHub();
      const peer = seedPeer(hub.port);
      await hub.bin.waitForLine('stderr', /event=join .*online=1/);
      const alice = ourClient(hub.port, 'alice');
      await peer.waitForEvent((event) => envelopeIn(event).kind === 'join');

      // A seed client whose token reaches the hub in two reads (a slow network, or over 4 KiB).
      const raw = await RawSocket.open(hub.port);
      seed.track(raw);
      const split = readKeyFile(seed.keyFile).encrypt('split in two');
      await raw.write(split.slice(0, 40));
      await hub.bin.waitForLine('stderr', /event=reject .*code=bad-frame/);
      await raw.write(split.slice(40));
      await eventually(
        () => hub.bin.lines('stderr').filter((line) => line.includes('event=reject')).length === 2,
        () => `a second reject\n${hub.bin.describe()}`,
      );
      // Both halves were refused by the hub's shape check, silently (no notices in chunk framing).
      expect(raw.received.length).toBe(0);

      peer.write('after the split\n');
      await alice.waitForLine('stdout', '?: after the split');
      expect(alice.stdout).not.toContain('split in two');
      expect(alice.stderr).not.toMatch(/^!/m);
    },
  );
});
