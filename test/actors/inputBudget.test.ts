import { describe, expect, it } from 'vitest';
import { InputBudget, type InputHolder } from '../../src/actors/inputBudget.ts';

class Holder implements InputHolder {
  closedWith: string | undefined;
  constructor(
    readonly name: string,
    private readonly budget: () => InputBudget<Holder>,
  ) {}
  close(reason: string): void {
    this.closedWith ??= reason;
    this.budget().set(this, 0); // as a closing peer lets go of its input
  }
}

describe('InputBudget (the hub-wide bound on held input)', () => {
  it('drops the largest holder when the total passes the limit, whoever pushed it over', () => {
    const budget = new InputBudget<Holder>(100);
    const holders = ['a', 'b', 'c'].map((name) => new Holder(name, () => budget));
    const [a, b, c] = holders as [Holder, Holder, Holder];
    budget.set(a, 60);
    budget.set(b, 30);
    expect(budget.heldBytes).toBe(90);
    budget.set(c, 20); // 110: a, the largest, pays
    expect(a.closedWith).toBe('input-limit');
    expect(b.closedWith).toBeUndefined();
    expect(c.closedWith).toBeUndefined();
    expect(budget.heldBytes).toBe(50);
  });

  it('never holds more than its limit once a set returns, however holders grow', () => {
    const budget = new InputBudget<Holder>(1_000);
    const holders = Array.from({ length: 50 }, (_, i) => new Holder(String(i), () => budget));
    for (let step = 0; step < 2_000; step++) {
      const holder = holders[(step * 7) % holders.length]!;
      if (holder.closedWith !== undefined) continue;
      budget.set(holder, (step * 13) % 400);
      expect(budget.heldBytes).toBeLessThanOrEqual(1_000);
    }
  });
});
