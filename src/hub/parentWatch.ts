/**
 * Calls `gone` once the process that started this one has gone: its parent id changes (to init,
 * or to a subreaper). `npm start` runs the hub through `sh -c`, and Debian's sh (dash) neither
 * execs the command nor passes npm's signals on, so stopping npm would otherwise leave the hub
 * running on its own. Returns a function that stops watching.
 */
export function watchParent(gone: () => void, everyMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
