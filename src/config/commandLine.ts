import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError } from './configError.ts';
import { loadConfig } from './loadConfig.ts';
import { ENV_PREFIX, settingsOf } from './settingsOf.ts';

export interface CommandSpec<S extends z.ZodObject> {
  /** The bin's name, as a user types it. */
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly schema: S;
  /** Extra lines for --help, after the settings table. */
  readonly notes?: readonly string[];
  readonly maxPositionals?: number;
}

export type CommandLine<T> =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly config: T; readonly positionals: readonly string[] };

/**
 * Parses argv for a bin whose settings are the schema's keys: `--help`, `--config FILE`, one
 * flag per setting (`--no-x` for booleans), then loadConfig. Throws ConfigError on any problem.
 */
export function parseCommandLine<S extends z.ZodObject>(
  spec: CommandSpec<S>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): CommandLine<z.infer<S>> {
  const settings = settingsOf(spec.schema);
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    help: { type: 'boolean' },
    config: { type: 'string' },
  };
  for (const setting of settings) {
    options[setting.flag] = { type: setting.kind === 'boolean' ? 'boolean' : 'string' };
    if (setting.kind === 'boolean') options[`no-${setting.flag}`] = { type: 'boolean' };
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError([`${argsProblem(error as NodeJS.ErrnoException)} (see ${spec.name} --help)`]);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help', text: helpText(spec) };
  if (positionals.length > (spec.maxPositionals ?? 0)) {
    throw new ConfigError([
      `unexpected argument "${positionals[spec.maxPositionals ?? 0]}" (see ${spec.name} --help)`,
    ]);
  }

  const flags: Record<string, string | boolean> = {};
  for (const setting of settings) {
    const value = values[setting.flag];
    if (value !== undefined) flags[setting.key] = value as string | boolean;
    if (values[`no-${setting.flag}`] === true) flags[setting.key] = false;
  }
  const file = (values.config as string | undefined) ?? (env[`${ENV_PREFIX}CONFIG`] || undefined);
  return { kind: 'run', config: loadConfig(spec.schema, { file, env, flags }), positionals };
}

/**
 * parseArgs's complaint as one line. Its text for an unknown option explains how to pass a
 * positional that starts with '-', which misleads when the bin takes none; and the part of its
 * text that says how to give a value starting with '-' (`--port=-1`) is on a later line.
 */
function argsProblem(error: NodeJS.ErrnoException): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined)
    return `unknown option ${option}`;
  return error.message.replace(/\s*\n\s*/g, ' ');
}

export function helpText<S extends z.ZodObject>(spec: CommandSpec<S>): string {
  const rows = settingsOf(spec.schema).map((s) => {
    const flag =
      s.kind === 'boolean'
        ? `--[no-]${s.flag}`
        : `--${s.flag} ${s.allowed === s.kind ? s.kind.toUpperCase() : s.allowed}`;
    const fallback = s.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(s.defaultValue)})`;
    return { flag, text: `${s.description}${fallback} [${s.env}]` };
  });
  rows.push({
    flag: '--config FILE',
    text: `read settings from a JSON file (keys as in the flags, camelCase) [${ENV_PREFIX}CONFIG]`,
  });
  rows.push({ flag: '--help', text: 'show this help' });
  const width = Math.max(...rows.map((r) => r.flag.length));
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options (flags override environment variables, which override the config file):',
    ...rows.map((r) => `  ${r.flag.padEnd(width)}  ${r.text}`),
    ...(spec.notes ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}
