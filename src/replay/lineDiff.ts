/**
 * A unified-style diff of two texts, line by line (`-` expected, `+` actual, 3 lines of
 * context), or undefined when they are the same. Longest common subsequence; texts beyond
 * MAX_CELLS compared cells fall back to showing the first difference only.
 */
const CONTEXT = 3;
const MAX_CELLS = 25_000_000;

export function lineDiff(
  expected: string,
  actual: string,
  labels: { readonly expected: string; readonly actual: string },
): string | undefined {
  if (expected === actual) return undefined;
  const a = splitLines(expected);
  const b = splitLines(actual);
  const ops = a.length * b.length > MAX_CELLS ? firstDifference(a, b) : diffOps(a, b);
  const out = [`--- ${labels.expected}`, `+++ ${labels.actual}`];
  for (const [start, end] of hunks(ops)) {
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${ops[start]!.a + 1},${aCount} +${ops[start]!.b + 1},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.text}`);
  }
  return `${out.join('\n')}\n`;
}

/** Ranges of ops to show: each change with CONTEXT ops around it, overlapping ranges merged. */
function hunks(ops: readonly Op[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  ops.forEach((op, index) => {
    if (op.kind === ' ') return;
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(ops.length, index + CONTEXT + 1);
    const last = ranges.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = end;
    else ranges.push([start, end]);
  });
  return ranges;
}

interface Op {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  /** Index in the expected and actual lines where this op stands. */
  readonly a: number;
  readonly b: number;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function diffOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i]!, a: i++, b: j++ });
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: '-', text: a[i]!, a: i++, b: j });
    } else {
      ops.push({ kind: '+', text: b[j]!, a: i, b: j++ });
    }
  }
  return ops;
}

function firstDifference(a: readonly string[], b: readonly string[]): Op[] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ops: Op[] = a.slice(0, i).map((text, k) => ({ kind: ' ', text, a: k, b: k }));
  if (i < a.length) ops.push({ kind: '-', text: a[i]!, a: i, b: i });
  if (i < b.length) ops.push({ kind: '+', text: b[i]!, a: i, b: i });
  return ops;
}
