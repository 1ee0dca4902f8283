/**
 * Why a hub could not join its room's cluster at start, in our words (one line that names the
 * setting and what to check); the hub turns it into a start error and exits 1.
 */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

/** A NATS client's error as a short phrase of ours, for the lines above. */
export function natsProblem(error: unknown): string {
  const text =
    error instanceof Error ? `${(error as { code?: unknown }).code ?? ''} ${error.message}` : String(error);
  if (/refused|ECONNREFUSED|CONNECTION_REFUSED/i.test(text)) return 'the connection was refused';
  if (/timeout|timed out/i.test(text)) return 'no answer in time';
  if (/ENOTFOUND|EAI_AGAIN/i.test(text)) return 'the host name does not resolve';
  if (/jetstream (is )?not enabled|503|no responders/i.test(text))
    // No responders: no server runs JetStream, or (with replicas) the stream is choosing a new leader.
    return 'no JetStream server answered (JetStream is off there, or the stream is choosing a new leader)';
  if (/authorization|authentication/i.test(text)) return 'the server refused our credentials';
  return `the NATS client said: ${text.trim().split('\n')[0]}`;
}
