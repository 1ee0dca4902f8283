import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './configError.ts';
import { type Setting, settingsOf } from './settingsOf.ts';

export interface ConfigSources {
  /** Path of a JSON file (`--config`), if one was given. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Values from flags, keyed by setting (already parsed by parseCommandLine). */
  readonly flags: Readonly<Record<string, string | boolean>>;
}

/**
 * Merges defaults < JSON file < environment < flags and validates the result with the schema
 * (SPEC §7). Throws ConfigError with one line per problem.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, sources: ConfigSources): z.infer<S> {
  const settings = settingsOf(schema);
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
  throw new ConfigError(
    result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${sources.file}; known: ${settings.map((s) => s.key).join(', ')}`;
      }
      const key = String(issue.path[0] ?? '');
      const setting = settings.find((s) => s.key === key);
      const given = key in merged;
      const value = JSON.stringify(given ? merged[key] : setting?.defaultValue);
      const where = given ? (origin[key] ?? '') : '(the default)';
      const allowed = setting && issue.code !== 'custom' ? ` (allowed: ${setting.allowed})` : '';
      return `${key} = ${value} ${where}: ${issue.message}${allowed}`.replace(/ {2,}/g, ' ');
    }),
  );
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
      `config file ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
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
