import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ROOT, runBin, stopAll } from '../support/bins.ts';
import type { RawSocket } from '../support/rawSocket.ts';
import { tempDir } from '../support/testKey.ts';
import { stopPythons } from './python.ts';

/** The seed's pickled key, as its Python programs load it (protocol 4, what Python 3.8+ writes). */
export const CHAVE = join(ROOT, 'fixtures/seed/chave-p4.key');

export interface SeedSession {
  /** Our key file, imported from CHAVE by the real `fernet-chat-keygen --from-seed`. */
  readonly keyFile: string;
  /** Closes this raw socket after the test. */
  track(link: RawSocket): RawSocket;
}

/**
 * A test file's set-up for chatting with the seed's programs: the key imported once, and after
 * each test every raw socket closed, every Python program and bin stopped.
 */
export function useSeedSession(prefix: string): SeedSession {
  let cleanup = () => {};
  let links: RawSocket[] = [];
  const session = {
    keyFile: '',
    track(link: RawSocket) {
      links.push(link);
      return link;
    },
  };
  beforeAll(async () => {
    const temp = tempDir(prefix);
    cleanup = temp.cleanup;
    session.keyFile = join(temp.dir, 'chat.key');
    const run = await runBin('keygen', ['--from-seed', CHAVE, session.keyFile]);
    expect(run.exit.code, run.stderr).toBe(0);
  });
  afterEach(async () => {
    for (const link of links) link.destroy();
    links = [];
    await stopPythons();
    await stopAll();
  });
  afterAll(() => cleanup());
  return session;
}
