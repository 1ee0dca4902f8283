import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DIGEST_PATTERN, frameDigest, tokenDigest } from '../../src/protocol/frameDigest.ts';
import { PYTHON } from '../interop/python.ts';

/** The Fernet specification's first vector, as docs/protocol.md gives it. */
const VECTOR =
  'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==';

/** The digest as another implementation computes it from the description: Python's hashlib. */
function pythonDigest(token: string): string | undefined {
  const script =
    'import base64, hashlib, sys; t = sys.argv[1].encode(); print(base64.urlsafe_b64encode(hashlib.sha256(t).digest()[:12]).decode().rstrip("="))';
  const run = spawnSync(PYTHON, ['-c', script, token], { encoding: 'utf8', timeout: 15_000 });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

describe('frame digest', () => {
  it('is the test vector of docs/protocol.md', () => {
    expect(tokenDigest(VECTOR)).toBe('THx2W8qWdOq29CUC');
  });

  it('agrees with Python hashlib following the description', (context) => {
    const tokens = [VECTOR, `${VECTOR.slice(0, 10)}B${VECTOR.slice(11)}`];
    const theirs = tokens.map(pythonDigest);
    if (theirs.includes(undefined)) {
      console.log(`skipped: ${PYTHON} cannot be run to compute digests independently`);
      return context.skip();
    }
    expect(tokens.map(tokenDigest)).toEqual(theirs);
  });

  it('names a frame inside a run by its bytes alone, LF excluded', () => {
    const run = Buffer.from(`${VECTOR}\nother\n`);
    expect(frameDigest(run, 0, VECTOR.length)).toBe(tokenDigest(VECTOR));
    expect(frameDigest(run, VECTOR.length + 1, run.length - 1)).toBe(tokenDigest('other'));
    expect(tokenDigest(VECTOR)).toMatch(DIGEST_PATTERN);
    expect(tokenDigest(`${VECTOR.slice(0, 10)}B${VECTOR.slice(11)}`)).not.toBe(tokenDigest(VECTOR));
  });
});
