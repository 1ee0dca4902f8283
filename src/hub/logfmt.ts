import type { LogRecord } from '../streams/hubEvent.ts';

/** One log record as one line: `ts=… event=join peer=3 remote=127.0.0.1:5123 online=2`. */
export function logfmt(record: LogRecord, now = new Date()): string {
  let line = `ts=${now.toISOString()}`;
  for (const [key, value] of Object.entries(record)) line += ` ${key}=${quote(value)}`;
  return line;
}

function quote(value: string | number): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}
