import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { whyNotCreated } from '../config/createError.ts';
import { octalMode, readSmallFile, type SmallFileProblem } from '../config/smallFile.ts';
import { Identity, identityFingerprint } from './identity.ts';
import { isTooOpen } from './keyFile.ts';

export type IdentityFileErrorCode =
  'not-found' | 'unreadable' | 'not-a-file' | 'too-large' | 'too-open' | 'bad-identity' | 'exists';

export class IdentityFileError extends Error {
  override readonly name = 'IdentityFileError';

  constructor(
    readonly code: IdentityFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An identity file is a few comment lines and one seed line: anything bigger is not one. */
export const MAX_IDENTITY_FILE_BYTES = 4096;

/** The seed line's word: a chat key (44 characters, no word) given by mistake is told apart. */
const SEED_WORD = 'ed25519-seed';

/** The identity file's text: comments for people, then the seed, base64url without padding. */
export function formatIdentityFile(identity: Identity, made: Date): string {
  return (
    `# fernet-chat identity (Ed25519), made ${made.toISOString()}\n` +
    '# keep it secret: whoever has this file can sign messages as you\n' +
    `# public key fingerprint: ${identityFingerprint(identity.publicKey)}\n` +
    `${SEED_WORD} ${identity.seed.toString('base64url')}\n`
  );
}

/** The identity in an identity file's text, or a one-line reason it holds none. */
export function parseIdentityFile(text: string): Identity | string {
  let found: Identity | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [word, value = '', ...rest] = line.split(/\s+/);
    if (word !== SEED_WORD || rest.length > 0) {
      return /^[A-Za-z0-9_-]{43}=$/.test(line)
        ? `line ${index + 1} is a chat key, not an identity (an identity is made with: npm run keygen -- --identity FILE)`
        : `line ${index + 1} is not "${SEED_WORD} <43 base64url characters>"`;
    }
    if (found !== undefined) return `line ${index + 1}: a second seed (an identity file holds one)`;
    const seed = /^[A-Za-z0-9_-]{43}$/.test(value) ? Buffer.from(value, 'base64url') : undefined;
    const identity = seed === undefined ? undefined : Identity.fromSeed(seed);
    if (identity === undefined)
      return `line ${index + 1}: the seed is not 43 base64url characters (32 bytes)`;
    found = identity;
  }
  return found ?? 'no seed line found (the file has only blank lines and comments)';
}

/**
 * Reads an identity file. As with key files: only a regular, small file that group and others
 * cannot read (ssh's rule for private keys), checked on the file that is read.
 */
export function readIdentityFile(path: string): Identity {
  const file = readSmallFile(path, { maxBytes: MAX_IDENTITY_FILE_BYTES, refuseMode: isTooOpen });
  if (!file.ok) throw identityFileError(path, file.problem);
  const parsed = parseIdentityFile(file.text);
  if (typeof parsed === 'string')
    throw new IdentityFileError('bad-identity', `identity file ${path}: ${parsed}`);
  return parsed;
}

/** Writes a new identity file with mode 0600; never replaces an existing file. */
export function writeIdentityFile(path: string, identity: Identity, made = new Date()): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new IdentityFileError(
        'exists',
        `${path} already exists; not overwriting it (choose another file name)`,
      );
    throw new IdentityFileError('unreadable', `cannot create ${path}: ${whyNotCreated(error)}`);
  }
  try {
    writeSync(fd, formatIdentityFile(identity, made));
  } finally {
    closeSync(fd);
  }
}

function identityFileError(path: string, problem: SmallFileProblem): IdentityFileError {
  switch (problem.code) {
    case 'not-found':
      return new IdentityFileError(
        'not-found',
        `identity file ${path} does not exist (make one with: npm run keygen -- --identity ${path})`,
      );
    case 'not-a-file':
      return new IdentityFileError(
        'not-a-file',
        `identity file ${path} is ${problem.kind}, not a regular file`,
      );
    case 'too-large':
      return new IdentityFileError(
        'too-large',
        `identity file ${path} is ${problem.size}, too big for an identity file (at most ${MAX_IDENTITY_FILE_BYTES})`,
      );
    case 'too-open':
      return new IdentityFileError(
        'too-open',
        `identity file ${path} is readable by others (mode ${octalMode(problem.mode)}); fix it with: chmod 600 ${path}`,
      );
    case 'unreadable':
      return new IdentityFileError('unreadable', `cannot read identity file ${path} (${problem.errno})`);
  }
}
