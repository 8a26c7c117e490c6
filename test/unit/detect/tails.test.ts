import { describe, expect, it } from 'vitest';
import {
  emptyTail,
  type TailModel,
  tailQuantile,
  tailSurprise,
  updateTail,
} from '../../../lambdas/detect/tails.js';
import { gaussian } from './synthetic.js';

const MODEL: TailModel = { u: 2.576, rate0: 0.01, mean0: 0.35, decay: 1 - 1 / 5000 };

describe('Function: tailSurprise', () => {
  it('starts from the Gaussian prior: |z| = 2.576 is a 1 % event', () => {
    expect(tailSurprise(MODEL, emptyTail(), 0, 2.577)).toBeCloseTo(2, 2);
    expect(tailSurprise(MODEL, emptyTail(), 0, 1)).toBe(0);
  });

  it('learns that a heavy-tailed statistic makes large values less surprising', () => {
    // Prepare: |Cauchy-like| draws, whose tail is far heavier than the prior's.
    const g = gaussian(3);
    const h = gaussian(4);
    const light = emptyTail();
    const heavy = emptyTail();
    for (let i = 0; i < 5000; i++) {
      updateTail(MODEL, light, 0, Math.abs(g()));
      updateTail(MODEL, heavy, 0, Math.abs(g() / Math.max(Math.abs(h()), 0.05)));
    }

    // Act
    const sLight = tailSurprise(MODEL, light, 0, 8);
    const sHeavy = tailSurprise(MODEL, heavy, 0, 8);

    // Assess
    expect(sLight).toBeGreaterThan(6);
    expect(sHeavy).toBeLessThan(3);
    expect(sHeavy).toBeGreaterThan(0.5);
  });
});

describe('Function: tailQuantile', () => {
  it('inverts tailSurprise above the threshold', () => {
    const tail = emptyTail();
    for (let i = 0; i < 1000; i++) updateTail(MODEL, tail, 0, (i % 50) / 10);
    const x = tailQuantile(MODEL, tail, 0, 4);
    expect(tailSurprise(MODEL, tail, 0, x)).toBeCloseTo(4, 8);
    // About half the values exceed u, so a surprise of 0.2 is reached below the tail.
    expect(tailQuantile(MODEL, tail, 0, 0.2)).toBe(MODEL.u);
  });
});
