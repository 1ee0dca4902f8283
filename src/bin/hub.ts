#!/usr/bin/env node
import { hubConfigSchema } from '../config/hubConfig.ts';
import { logfmt } from '../hub/logfmt.ts';
import { LogSink } from '../hub/logSink.ts';
import { HubStartError } from '../hub/hubStartError.ts';
import { startHub } from '../hub/startHub.ts';
import { watchParent } from '../hub/parentWatch.ts';
import type { LogRecord } from '../streams/hubEvent.ts';
import { runCommand } from './runMain.ts';

await runCommand(
  {
    name: 'fernet-chat-hub',
    usage: 'fernet-chat-hub [options]',
    summary:
      'Relays encrypted chat frames between TCP clients. It never holds a key and never sees plaintext.\n' +
      'Logs one line per event to stderr. SIGINT, SIGTERM or SIGHUP (its terminal closed): says #bye to everyone,\n' +
      'finishes the recording and exits 0; a second signal exits at once.',
    schema: hubConfigSchema,
  },
  async (config) => {
    // A log reader that cannot keep up loses lines (counted), never the hub its memory.
    const sink = new LogSink(process.stderr, (count) => `${logfmt({ event: 'log-dropped', count })}\n`);
    let listening = false;
    const log = (record: LogRecord) => {
      if (record.event === 'listening') listening = true;
      sink.write(`${logfmt(record)}\n`);
    };
    // Signals are taken from before the start: the listening line comes out while the hub is
    // still setting up, and a supervisor that stops it on seeing that line would otherwise kill
    // it with no #bye (the default action). Before that line there is no one to say goodbye to,
    // and a start can wait on NATS for seconds: it ends at once. After it, the hub stops as soon
    // as it runs, unless asked twice.
    let early = false;
    let stopFor = (record: LogRecord): void => {
      log(record);
      if (!listening || early) {
        log({ event: 'exit', reason: 'stopped while starting' });
        process.exit(130);
      }
      early = true;
    };
    const signalled = (signal: NodeJS.Signals) => stopFor({ event: 'signal', signal });
    process.on('SIGINT', signalled);
    process.on('SIGTERM', signalled);
    // A hub started from a terminal gets SIGHUP when that terminal closes; by default it would
    // die on the spot, with no #bye and the recording's last records unwritten.
    process.on('SIGHUP', signalled);
    // Run by npm (npm start, npm run hub): stop with it, which its shell may not tell us. Watched
    // from the start, like the signals: npm may be stopped as soon as the listening line is out.
    if (process.env.npm_lifecycle_event !== undefined)
      watchParent(() => stopFor({ event: 'parent-gone', detail: 'the npm that started the hub has gone' }));
    let hub: Awaited<ReturnType<typeof startHub>>;
    try {
      hub = await startHub(config, log);
    } catch (error) {
      if (error instanceof HubStartError) {
        process.stderr.write(`fernet-chat-hub: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = () => {
        stopping = true;
        void hub.stop('shutdown').then(() => {
          log({ event: 'exit', reason: 'shutdown' });
          resolve(0);
        });
      };
      stopFor = (record: LogRecord) => {
        if (stopping) {
          log({ event: 'exit', reason: `second ${record.signal ?? record.event}` });
          hub.abort();
          resolve(130);
          return;
        }
        log(record);
        stop();
      };
      hub.failed.catch(() => resolve(1));
      if (early) stop();
    });
  },
);
