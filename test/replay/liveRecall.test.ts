import { describe, expect, it } from 'vitest';
import { parseHistoryRequest } from '../../src/protocol/historyRequest.ts';
import { liveRecallLine } from '../../src/replay/liveRecall.ts';
import { probeLine } from '../../src/replay/probeLine.ts';

const DIGEST = 'THx2W8qWdOq29CUC';

describe('liveRecallLine', () => {
  it("names the live hub's epoch in a resume that named the recorded hub's", () => {
    expect(liveRecallLine(`#resume recorded ${DIGEST}`, 'recorded', 'live-1')).toBe(
      `#resume live-1 ${DIGEST}`,
    );
    expect(liveRecallLine('#resume recorded -', 'recorded', 'live-1')).toBe('#resume live-1 -');
  });

  it('sends the rest as recorded: a resume in an earlier epoch, #history, or a hub without an epoch', () => {
    expect(liveRecallLine(`#resume earlier ${DIGEST}`, 'recorded', 'live-1')).toBe(
      `#resume earlier ${DIGEST}`,
    );
    expect(liveRecallLine('#history 50', 'recorded', 'live-1')).toBe('#history 50');
    expect(liveRecallLine('#resume recorded -', 'recorded', undefined)).toBe('#resume recorded -');
  });
});

describe('probeLine for a request the hub refused', () => {
  it('is a line the hub refuses with the recorded words', () => {
    for (const refused of ['#history lots', '#resume', '#resume epoch !!']) {
      const parsed = parseHistoryRequest(refused);
      if (parsed?.kind !== 'bad') throw new Error(`${refused} should be refused`);
      expect(parseHistoryRequest(probeLine('bad-request', parsed.detail, 1024))).toEqual(parsed);
    }
  });
});
