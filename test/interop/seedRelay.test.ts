import { describe, expect } from 'vitest';
import { readKeyFile } from '../../src/crypto/keyFile.ts';
import { type BinProcess, startTestClient } from '../support/bins.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { CHAVE, useSeedSession } from './seedSession.ts';
import { envelopeIn, itHasPython, itWithPython, PythonProcess } from './python.ts';

// Our client in chunk framing, through a Python relay that behaves like the seed's server.py
// (python/seed_relay.py: listen(2), a thread per client, recv(4096), send to every other client),
// with another of our clients and with a Python peer that behaves like the seed's client.py.
// Messages are paced: each is seen to arrive everywhere before the next is sent.

const seed = useSeedSession('fernet-chat-seed-relay-');

async function startRelay(): Promise<{ relay: PythonProcess; port: number }> {
  const relay = new PythonProcess('seed relay', 'seed_relay.py', ['--port', '0']);
  const listening = await relay.waitForEvent((event) => event.event === 'listening');
  return { relay, port: listening.port as number };
}

const clients = (relay: PythonProcess, count: number) =>
  relay.waitForEvent((event) => event.event === 'joined' && event.clients === count);

function ourClient(port: number, name: string): BinProcess {
  return startTestClient(port, seed.keyFile, name, '--framing', 'chunk');
}

const errors = (peer: PythonProcess) => peer.events().filter((event) => event.event === 'error');

describe("our client in chunk framing, through a relay that behaves like the seed's server", () => {
  itHasPython();

  itWithPython('two of our clients and a seed-like Python client chat, every way', async () => {
    const { relay, port } = await startRelay();
    const peer = new PythonProcess('seed peer', 'seed_peer.py', ['--port', String(port), '--chave', CHAVE]);
    await clients(relay, 1);
    const alice = ourClient(port, 'alice');
    await clients(relay, 2);
    await peer.waitForEvent(
      (event) => envelopeIn(event).kind === 'join' && envelopeIn(event).from === 'alice',
    );
    const bob = ourClient(port, 'bob');
    await clients(relay, 3);
    await peer.waitForEvent((event) => envelopeIn(event).kind === 'join' && envelopeIn(event).from === 'bob');
    await alice.waitForLine('stdout', '* bob joined');

    const said: { who: string; text: string }[] = [
      { who: 'alice', text: 'hi bob, hi python' },
      { who: 'bob', text: 'olá alice — 日本語 🎉' },
      { who: 'python', text: 'hello from the seed client' },
      { who: 'alice', text: 'a'.repeat(2500) },
      { who: 'python', text: 'ünïcödé from Python' },
      { who: 'bob', text: 'bye now' },
    ];
    const ours = { alice, bob };
    for (const { who, text } of said) {
      if (who === 'python') {
        peer.write(`${text}\n`);
        await alice.waitForLine('stdout', `?: ${text}`);
        await bob.waitForLine('stdout', `?: ${text}`);
        continue;
      }
      const [sender, other] = who === 'alice' ? [alice, bob] : [bob, alice];
      sender.write(`${text}\n`);
      await other.waitForLine('stdout', `${who}: ${text}`);
      const event = await peer.waitForEvent((e) => envelopeIn(e).text === text);
      expect(envelopeIn(event)).toMatchObject({ kind: 'message', from: who });
    }

    // Each saw exactly what the others said, in order, and nothing of its own.
    const expected = (me: string) =>
      said
        .filter(({ who }) => who !== me)
        .map(({ who, text }) => (who === 'python' ? `?: ${text}` : `${who}: ${text}`));
    expect(alice.lines('stdout')).toEqual(['* bob joined', ...expected('alice')]);
    expect(bob.lines('stdout')).toEqual(expected('bob'));
    for (const client of Object.values(ours)) expect(client.stderr).not.toMatch(/^!/m);
    expect(errors(peer)).toEqual([]);

    // Bob's input ends: he says he leaves, exits 0, and the relay sees him go.
    bob.endInput();
    await alice.waitForLine('stdout', '* bob left');
    expect((await bob.waitForExit()).code).toBe(0);
    await relay.waitForEvent((event) => event.event === 'left' && event.clients === 2);
  });

  itWithPython(
    'a limit it inherits: two seed tokens in one read are unreadable, and the client goes on',
    async () => {
      const { relay, port } = await startRelay();
      const alice = ourClient(port, 'alice');
      await clients(relay, 1);
      // A stand-in for two seed clients whose tokens the relay read in one recv(): no LF between them.
      const raw = await RawSocket.open(port);
      seed.track(raw);
      await clients(relay, 2);
      const ring = readKeyFile(seed.keyFile);
      await raw.write(ring.encrypt('first') + ring.encrypt('second'));
      await alice.waitForLine('stderr', '! unreadable message');
      expect(alice.stdout).not.toMatch(/first|second/);

      await raw.write(ring.encrypt('third, alone'));
      await alice.waitForLine('stdout', '?: third, alone');
      expect(alice.exit).toBeUndefined();
    },
  );
});
