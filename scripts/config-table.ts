/** Prints the README's configuration tables: `npx tsx scripts/config-table.ts`. */
import { configTables } from '../src/config/configTables.ts';

process.stdout.write(configTables());
