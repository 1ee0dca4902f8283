/**
 * The known option closest to a misspelt one, when it is close enough to be what was meant:
 * `--prot` → `--port`. Close enough is an edit distance (insert, delete, substitute, or swap two
 * neighbours) of at most a third of the option's length, and at least 1.
 */
export function closestOption(given: string, known: readonly string[]): string | undefined {
  const bare = given.replace(/^-+/, '').replace(/=.*$/, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(bare, name);
    if (
      distance <= Math.max(1, Math.floor(name.length / 3)) &&
      (best === undefined || distance < best.distance)
    )
      best = { name, distance };
  }
  return best === undefined ? undefined : `--${best.name}`;
}

/** Optimal string alignment distance: Levenshtein with a swap of two neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
