#!/usr/bin/env node
import { hubConfigSchema } from '../config/hubConfig.ts';
import { logfmt } from '../hub/logfmt.ts';
import { LogSink } from '../hub/logSink.ts';
import { HubStartError } from '../hub/hubStartError.ts';
import { startHub } from '../hub/startHub.ts';
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
    const log = (record: Parameters<typeof logfmt>[0]) => sink.write(`${logfmt(record)}\n`);
    // Signals are taken from before the start: the listening line comes out while the hub is
    // still setting up, and a supervisor that stops it on seeing that line would otherwise kill
    // it with no #bye (the default action). One that comes while starting is acted on once the
    // hub runs; a second one ends the start at once.
    let early: NodeJS.Signals | undefined;
    let onSignal = (signal: NodeJS.Signals): void => {
      if (early !== undefined) process.exit(130);
      early = signal;
    };
    const signalled = (signal: NodeJS.Signals) => onSignal(signal);
    process.on('SIGINT', signalled);
    process.on('SIGTERM', signalled);
    // A hub started from a terminal gets SIGHUP when that terminal closes; by default it would
    // die on the spot, with no #bye and the recording's last records unwritten.
    process.on('SIGHUP', signalled);
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
      let signals = 0;
      onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          log({ event: 'exit', reason: `second ${signal}` });
          hub.abort();
          resolve(130);
          return;
        }
        log({ event: 'signal', signal });
        void hub.stop('shutdown').then(() => {
          log({ event: 'exit', reason: 'shutdown' });
          resolve(0);
        });
      };
      hub.failed.catch(() => resolve(1));
      if (early !== undefined) onSignal(early);
    });
  },
);
