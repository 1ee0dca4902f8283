import { z } from 'zod';

/**
 * What a setting accepts, in a person's words, from the checks of its zod schema: `must be a
 * whole number from 0 to 65535`, `must be line or chunk`. Config errors say this instead of
 * zod's own phrasing (`Too big: expected number to be <=65535`), which names types, not settings.
 */
export function allowedValues(base: z.ZodType): string {
  if (base instanceof z.ZodNumber) return `must be ${numberRule(base)}`;
  if (base instanceof z.ZodBoolean) return 'must be true or false (also yes/no, on/off, 1/0)';
  if (base instanceof z.ZodEnum) return `must be ${choices(base.options.map(String))}`;
  const minimum = checksOf(base).find((c) => c.check === 'min_length')?.minimum;
  return typeof minimum === 'number' && minimum > 0 ? 'must not be empty' : 'must be text';
}

/**
 * Whether the schema's checks carry messages of their own (a name's rules): those are already
 * in our words, and say more than a generic rule would.
 */
export function hasOwnMessages(base: z.ZodType): boolean {
  return checksOf(base).some((c) => c.error !== undefined);
}

interface CheckDef {
  readonly check?: string;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly minimum?: unknown;
  readonly error?: unknown;
}

function checksOf(schema: z.ZodType): CheckDef[] {
  const checks = (schema.def as { checks?: { _zod: { def: CheckDef } }[] }).checks ?? [];
  return checks.map((c) => c._zod.def);
}

function numberRule(schema: z.ZodNumber): string {
  const checks = checksOf(schema);
  const whole = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
  const noun = whole ? 'a whole number' : 'a number';
  const low = checks.find((c) => c.check === 'greater_than');
  const high = checks.find((c) => c.check === 'less_than');
  if (low && high && low.inclusive && high.inclusive) return `${noun} from ${low.value} to ${high.value}`;
  const parts = [
    low && (low.inclusive ? `of ${low.value} or more` : `above ${low.value}`),
    high && (high.inclusive ? `of ${high.value} or less` : `below ${high.value}`),
  ].filter(Boolean);
  return [noun, ...parts].join(' ');
}

/** `line or chunk`; `a, b or c`. */
function choices(options: readonly string[]): string {
  return options.length < 2 ? (options[0] ?? '') : `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
}
