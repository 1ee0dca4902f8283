/**
 * Prints the README's configuration tables from the zod schemas, so the docs cannot drift from
 * what the bins accept: `npx tsx scripts/config-table.ts`.
 */
import type { z } from 'zod';
import { clientConfigSchema } from '../src/config/clientConfig.ts';
import { hubConfigSchema } from '../src/config/hubConfig.ts';
import { settingsOf } from '../src/config/settingsOf.ts';

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

process.stdout.write(
  `${table('Hub (`npm start -- …`)', hubConfigSchema)}\n${table('Client (`npm run client -- …`)', clientConfigSchema)}`,
);
