import { z } from 'zod';
import { parseCommandLine } from '../config/commandLine.ts';
import { FernetKey } from '../crypto/fernetKey.ts';
import { KeyFileError, writeKeyFile } from '../crypto/keyFile.ts';
import { runMain } from './runMain.ts';

const keygenSchema = z.strictObject({});

await runMain(async () => {
  const command = parseCommandLine(
    {
      name: 'fernet-chat-keygen',
      usage: 'fernet-chat-keygen [FILE]',
      summary:
        'Writes a new Fernet key to FILE (default chat.key) with mode 0600. It never overwrites a file.\n' +
        'Share the file with the people you chat with over a channel you trust; anyone with it can read the chat.',
      schema: keygenSchema,
      maxPositionals: 1,
    },
    process.argv.slice(2),
    process.env,
  );
  if (command.kind === 'help') {
    process.stdout.write(command.text);
    return 0;
  }
  const file = command.positionals[0] ?? 'chat.key';
  try {
    writeKeyFile(
      file,
      [FernetKey.generate()],
      `fernet-chat key, made ${new Date().toISOString()}; keep it secret`,
    );
  } catch (error) {
    if (error instanceof KeyFileError) {
      process.stderr.write(`fernet-chat-keygen: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(`wrote a new key to ${file} (mode 0600)\n`);
  return 0;
});
