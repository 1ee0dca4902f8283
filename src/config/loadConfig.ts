import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './configError.ts';
import { closestOption } from './didYouMean.ts';
import { type Setting, settingsOf } from './settingsOf.ts';

export interface ConfigSources {
  /** Path of a JSON file (`--config`), if one was given. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Values from flags, keyed by setting (already parsed by parseCommandLine). */
  readonly flags: Readonly<Record<string, string | boolean>>;
  /** The bin's own environment variables start with this (envPrefixOf); FERNET_CHAT_ unless told. */
  readonly envPrefix?: string;
}

/**
 * Merges defaults < JSON file < environment < flags and validates the result with the schema
 * (SPEC §7). Throws ConfigError with one line per problem.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, sources: ConfigSources): z.infer<S> {
  const settings = settingsOf(schema, sources.envPrefix);
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const problems: string[] = [];

  if (sources.file !== undefined) {
    const fromFile = readJsonObject(sources.file, problems);
    for (const [key, value] of Object.entries(fromFile)) {
      merged[key] = value;
      origin[key] = `in ${sources.file}`;
    }
  }
  for (const setting of settings) {
    const raw = sources.env[setting.env];
    if (raw !== undefined && raw !== '') {
      merged[setting.key] = fromText(setting, raw);
      origin[setting.key] = `from ${setting.env}`;
    }
  }
  for (const setting of settings) {
    const raw = sources.flags[setting.key];
    if (raw === undefined) continue;
    merged[setting.key] = typeof raw === 'string' ? fromText(setting, raw) : raw;
    origin[setting.key] = `from --${setting.flag}`;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  // One line per setting: `--name ''` breaks two of a name's rules, but only the first is news.
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      lines.push(unknownSettings(issue.keys, sources.file, settings));
      continue;
    }
    const key = String(issue.path[0] ?? '');
    if (seen.has(key)) continue;
    seen.add(key);
    const setting = settings.find((s) => s.key === key);
    const given = key in merged;
    const value = JSON.stringify(given ? merged[key] : setting?.defaultValue);
    const where = given ? (origin[key] ?? '') : '(the default)';
    // A refinement's message and a name's rules are ours already; zod's own phrasing is not.
    const ours = setting === undefined || issue.code === 'custom' || setting.ownMessages;
    const rule = ours ? issue.message : setting.rule;
    lines.push(`${key} = ${value} ${where}: ${rule}`.replace(/ {2,}/g, ' '));
  }
  throw new ConfigError(lines);
}

/** `unknown setting "prot" in hub.json (did you mean "port"?); known: host, port, …`. */
function unknownSettings(
  keys: readonly string[],
  file: string | undefined,
  settings: readonly Setting[],
): string {
  const known = settings.map((s) => s.key);
  const names = keys.map((key) => {
    const meant = closestOption(key, known);
    return `"${key}"${meant === undefined ? '' : ` (did you mean "${meant.slice(2)}"?)`}`;
  });
  return `unknown setting ${names.join(', ')} in ${file}; known: ${known.join(', ')}`;
}

/** Text from the environment or a flag, turned into the setting's type where it plainly is one. */
function fromText(setting: Setting, text: string): unknown {
  if (setting.kind === 'number' && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (setting.kind === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
  }
  return text;
}

function readJsonObject(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      `config file ${path}: ${unreadable((error as NodeJS.ErrnoException).code ?? String(error))}`,
    );
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    problems.push(`config file ${path}: expected a JSON object of settings`);
  } catch (error) {
    problems.push(`config file ${path}: not valid JSON (${(error as Error).message})`);
  }
  return {};
}

/** Why a config file cannot be read, in our words; the system's code for anything rarer. */
function unreadable(code: string): string {
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'not allowed to read it (permission denied)';
  if (code === 'EISDIR') return 'a directory, not a file';
  return `cannot read it (${code})`;
}
