import { FernetError } from './fernetError.ts';
import { FernetKey } from './fernetKey.ts';

/**
 * The keys of a key file's text: one key per line, the first encrypting; blank lines and lines
 * starting with '#' are skipped. Shared by KeyRing (Node) and WebKeyRing (the page), which take
 * the same files.
 */
export function parseKeyText(text: string): FernetKey[] {
  const keys: FernetKey[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      keys.push(FernetKey.parse(line));
    } catch (error) {
      if (!(error instanceof FernetError)) throw error;
      throw new FernetError('bad-key', `line ${index + 1}: ${error.message}`);
    }
  }
  if (keys.length === 0) {
    throw new FernetError('bad-key', 'no Fernet key found (the text has only blank lines and comments)');
  }
  return keys;
}
