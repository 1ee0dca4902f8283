import { readSmallFile } from '../config/smallFile.ts';
import { FernetError } from '../crypto/fernetError.ts';
import { KeyFileError, MAX_KEY_FILE_BYTES, readKeyFile } from '../crypto/keyFile.ts';
import { KeyRing } from '../crypto/keyRing.ts';

/** The first line of a fixture's key file: a throw-away key, published with the fixture. */
export const FIXTURE_KEY_MARK = '# fernet-chat fixture key';

/**
 * Reads the key a replay decrypts with. The rules are the client's (a key file others can
 * read is refused, with how to fix it), except for a fixture's key, whose first line says it is
 * a throw-away key published with its recording: git does not keep file modes, so a fresh
 * clone has it 0644, and refusing it would protect nothing.
 */
export function readReplayKey(path: string): KeyRing {
  try {
    return readKeyFile(path);
  } catch (error) {
    if (!(error instanceof KeyFileError) || error.code !== 'too-open') throw error;
    const file = readSmallFile(path, { maxBytes: MAX_KEY_FILE_BYTES });
    if (!file.ok || !file.text.startsWith(FIXTURE_KEY_MARK)) throw error;
    try {
      return KeyRing.parse(file.text);
    } catch (parseError) {
      if (parseError instanceof FernetError)
        throw new KeyFileError('bad-key', `key file ${path}: ${parseError.message}`);
      throw parseError;
    }
  }
}
