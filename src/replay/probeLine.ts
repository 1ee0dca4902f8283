import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import { describeShapeProblem, type ShapeProblem } from '../protocol/tokenShape.ts';

const SHAPE_PROBES: Record<ShapeProblem, string> = {
  'not-base64url': 'not a token',
  'bad-length': 'AAAA',
  // 73 zero bytes: the length of a token, but version byte 0x00.
  'bad-version': Buffer.alloc(73).toString('base64url').padEnd(100, '='),
};

/** One malformed history request for each way of being malformed: a count, an epoch, a digest. */
const REQUEST_PROBES = ['#history probe', '#resume', '#resume probe probe'];

/**
 * A recording keeps why the hub refused a line, not the line (it may have been plaintext); an
 * unknown `#command` is named by its first word, in printable ASCII.
 * A live replay sends this instead: a line the hub refuses for the same reason.
 */
export function probeLine(code: string, detail: string, maxFrameBytes: number): string {
  switch (code) {
    case 'frame-too-large': {
      // As long as the refused one, so the hub's `frame of N+ bytes` says the same.
      const seen = Number(/^frame of (\d+)/.exec(detail)?.[1] ?? 0);
      return 'A'.repeat(Math.max(seen, maxFrameBytes + 1));
    }
    case 'unknown-command':
      return /^unknown command (#\S+)/.exec(detail)?.[1] ?? '#probe';
    case 'bad-request':
      return (
        REQUEST_PROBES.find((probe) => {
          const parsed = parseHistoryRequest(probe);
          return parsed?.kind === 'bad' && parsed.detail === detail;
        }) ?? REQUEST_PROBES[0]!
      );
    default: {
      const problem = (Object.keys(SHAPE_PROBES) as ShapeProblem[]).find(
        (p) => describeShapeProblem(p) === detail,
      );
      return SHAPE_PROBES[problem ?? 'not-base64url'];
    }
  }
}
