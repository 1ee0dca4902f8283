/**
 * TLS and admission for the adversary suite: a hub with `--tls-cert`/`--tls-key` from a throwaway
 * CA (src/bench/testCerts.ts, made with the openssl command in a temporary directory) and `--admit`
 * holding the admission key of one test chat key, and the clients' side of both: connecting with
 * the CA, reading lines, and answering the challenge as a member does (src/crypto/answerChallenge.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { makeTestCerts } from '../../src/bench/testCerts.ts';

/** The name the hub gives in its challenge and the clients reach it by (its certificate has the IP). */
export const HUB_NAME = '127.0.0.1';

export interface SecureRoom {
  /** The CA that signed the hub's certificate, PEM. */
  readonly ca: string;
  /** The members' chat key, as a key file line: the pair gets it over IPC. */
  readonly chatKey: string;
  readonly ring: KeyRing;
  readonly hubArgs: readonly string[];
  remove(): void;
}

/** The certificates, the chat key and the admit file, or why not (no openssl command). */
export function makeSecureRoom(): SecureRoom | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fernet-chat-attack-tls-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const made = makeTestCerts(dir);
    if (!made.ok) {
      remove();
      return { skip: made.reason };
    }
    const key = FernetKey.generate();
    const admitFile = join(dir, 'admit.keys');
    writeFileSync(admitFile, `${admissionKeyOf(key).publicKey}\n`);
    const { certs } = made;
    return {
      ca: certs.ca,
      chatKey: key.toString(),
      ring: new KeyRing([key]),
      hubArgs: [
        '--tls-cert',
        certs.hubCert,
        '--tls-key',
        certs.hubKey,
        '--admit',
        admitFile,
        '--hub-name',
        HUB_NAME,
      ],
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Calls `line` with each line the socket reads (latin1, without its LF). */
export function onLines(socket: Socket, line: (text: string) => void): void {
  let carry = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) line(part);
  });
}

/**
 * Answers the hub's challenge with `ring`'s keys and resolves once `#hello` came; rejects if the
 * connection ends first, or the challenge is not one the ring may answer.
 */
export function admitted(socket: Socket, ring: KeyRing): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('closed before #hello'));
    socket.once('close', onClose);
    onLines(socket, (text) => {
      if (text.startsWith('#challenge ')) {
        const reply = answerChallenge(ring, text, HUB_NAME);
        if (!reply.ok) return reject(new Error(reply.message));
        socket.write(`${reply.line}\n`);
      } else if (text.startsWith('#hello ')) {
        socket.off('close', onClose);
        resolve();
      }
    });
  });
}
