import type { z } from 'zod';
import { type CommandSpec, parseCommandLine } from '../config/commandLine.ts';
import { ConfigError } from '../config/configError.ts';

/**
 * Runs a bin's main and exits with its status. A ConfigError exits 2 with one line per problem;
 * anything unexpected exits 1 with one line (the stack only with FERNET_CHAT_DEBUG=1).
 */
export async function runMain(main: () => Promise<number>): Promise<never> {
  const name =
    process.argv[1]
      ?.split('/')
      .pop()
      ?.replace(/\.[jt]s$/, '') ?? 'fernet-chat';
  // A reader that went away (`| head -1`) ends the program quietly; a closed log pipe must not
  // take a running hub down with it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  process.stderr.on('error', () => {});
  let status: number;
  try {
    status = await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${binName(name)}: ${problem}\n`);
      status = 2;
    } else {
      const detail =
        process.env.FERNET_CHAT_DEBUG === '1' && error instanceof Error ? error.stack : String(error);
      process.stderr.write(`${binName(name)}: unexpected error: ${detail}\n`);
      status = 1;
    }
  }
  // Let stdout and stderr drain before exiting (they are asynchronous when piped).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(status);
}

function binName(script: string): string {
  return script.startsWith('fernet-chat') ? script : `fernet-chat-${script}`;
}

/**
 * Runs a bin whose settings are a zod schema: `--help` and `--version` print and exit 0; otherwise
 * `run` gets the validated configuration and the positional arguments.
 */
export function runCommand<S extends z.ZodObject>(
  spec: CommandSpec<S>,
  run: (config: z.infer<S>, positionals: readonly string[]) => Promise<number>,
): Promise<never> {
  return runMain(async () => {
    const command = parseCommandLine(spec, process.argv.slice(2), process.env);
    if (command.kind !== 'run') {
      process.stdout.write(command.text);
      return 0;
    }
    for (const note of command.notes) process.stderr.write(`${spec.name}: ${note}\n`);
    return run(command.config, command.positionals);
  });
}
