import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError } from './configError.ts';
import { closestOption } from './didYouMean.ts';
import { loadConfig } from './loadConfig.ts';
import { packageVersion } from './packageVersion.ts';
import { ENV_PREFIX, envPrefixOf, type Setting, settingsOf } from './settingsOf.ts';

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
  /** `--help`/`-h` or `--version`: print `text` and exit 0. */
  | { readonly kind: 'help' | 'version'; readonly text: string }
  | {
      readonly kind: 'run';
      readonly config: T;
      readonly positionals: readonly string[];
      /** Lines to print before running: variables of the shared names that no bin reads any more. */
      readonly notes: readonly string[];
    };

/**
 * Parses argv for a bin whose settings are the schema's keys: `--help`, `--config FILE`, one
 * flag per setting (`--no-x` for booleans), then loadConfig. Throws ConfigError on any problem.
 */
export function parseCommandLine<S extends z.ZodObject>(
  spec: CommandSpec<S>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): CommandLine<z.infer<S>> {
  const envPrefix = envPrefixOf(spec.name);
  const settings = settingsOf(spec.schema, envPrefix);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
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
    const problem = argsProblem(error as NodeJS.ErrnoException, Object.keys(options));
    throw new ConfigError([`${problem} (see ${spec.name} --help)`]);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help', text: helpText(spec) };
  if (values.version === true) return { kind: 'version', text: `${spec.name} ${packageVersion()}\n` };
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
  const file = (values.config as string | undefined) ?? (env[`${envPrefix}CONFIG`] || undefined);
  const config = loadConfig(spec.schema, { file, env, flags, envPrefix });
  return { kind: 'run', config, positionals, notes: unreadNames(spec.name, envPrefix, settings, env) };
}

/**
 * parseArgs's complaint as one line in our words. Its text for an unknown option explains how to
 * pass a positional that starts with '-', which misleads when the bin takes none; a misspelt
 * option gets the one it most likely meant. A value that starts with '-' is taken for an option,
 * and the way round it (`--port=-1`) is said on the same line.
 */
export function argsProblem(error: NodeJS.ErrnoException, known: readonly string[]): string {
  // `'--port <value>'`, `'-h, --help'`: the long name when there is one.
  const option = /'(?:-\w, )?(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) {
    const meant = option.startsWith('--') ? closestOption(option, known) : undefined;
    return `unknown option ${option}${meant === undefined ? '' : `: did you mean ${meant}?`}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    if (/ambiguous/.test(error.message))
      return `${option} needs a value (for one that starts with '-', write ${option}=-1)`;
    if (/missing/.test(error.message)) return `${option} needs a value`;
    if (/does not take an argument/.test(error.message)) return `${option} takes no value`;
  }
  return error.message.replace(/\s*\n\s*/g, ' ');
}

export function helpText<S extends z.ZodObject>(spec: CommandSpec<S>): string {
  const envPrefix = envPrefixOf(spec.name);
  const rows = settingsOf(spec.schema, envPrefix).map((s) => {
    const flag =
      s.kind === 'boolean'
        ? `--[no-]${s.flag}`
        : `--${s.flag} ${s.allowed === s.kind ? s.kind.toUpperCase() : s.allowed}`;
    const fallback = s.defaultValue === undefined ? '' : ` (default: ${JSON.stringify(s.defaultValue)})`;
    return { flag, text: `${s.description}${fallback} [${s.env}]` };
  });
  rows.push({
    flag: '--config FILE',
    text: `read settings from a JSON file (keys as in the flags, camelCase) [${envPrefix}CONFIG]`,
  });
  rows.push({ flag: '-h, --help', text: 'show this help' });
  rows.push({ flag: '--version', text: 'show the version' });
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

/**
 * Earlier versions read FERNET_CHAT_PORT in every bin; now each bin has its own names. One that
 * is still set is said once, so that a setting that stopped working does not go unnoticed.
 */
function unreadNames(
  bin: string,
  envPrefix: string,
  settings: readonly Setting[],
  env: NodeJS.ProcessEnv,
): string[] {
  const names = [...settings.map((s) => s.env), `${envPrefix}CONFIG`];
  return names
    .map((name) => ({ name, shared: ENV_PREFIX + name.slice(envPrefix.length) }))
    .filter(({ name, shared }) => shared !== name && env[shared] !== undefined && env[name] === undefined)
    .map(
      ({ name, shared }) => `${shared} is not read: ${bin} reads ${name} (each bin has its own variables)`,
    );
}
