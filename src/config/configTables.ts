import type { z } from 'zod';
import { clientConfigSchema } from './clientConfig.ts';
import { hubConfigSchema } from './hubConfig.ts';
import { settingsOf } from './settingsOf.ts';

/**
 * The README's configuration tables, made from the zod schemas so that the docs cannot drift from
 * what the bins accept (a test compares them with the README).
 */
export function configTables(): string {
  return `${table('Hub (`npm start -- …`)', hubConfigSchema)}\n${table('Client (`npm run client -- …`)', clientConfigSchema)}`;
}

function table(title: string, schema: z.ZodObject): string {
  const rows = settingsOf(schema).map((s) => {
    const flag = s.kind === 'boolean' ? `--[no-]${s.flag}` : `--${s.flag}`;
    const fallback = s.defaultValue === undefined ? '—' : `\`${JSON.stringify(s.defaultValue)}\``;
    return `| \`${flag}\` | \`${s.env}\` | ${fallback} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return [
    `#### ${title}`,
    '',
    '| flag | environment | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
