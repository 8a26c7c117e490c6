/** The feedback loop: an alert marked a false positive makes its series harder to alert on. */

/** Each false positive multiplies the series' sensitivity by this. */
export const FALSE_POSITIVE_FACTOR = 0.7;
/** Feedback never lowers a series below this multiple of its rule's sensitivity. */
export const MIN_FEEDBACK = 0.1;

/** The feedback multiplier after one more false positive. */
export function afterFalsePositive(feedback: number): number {
  return Math.max(MIN_FEEDBACK, Math.round(feedback * FALSE_POSITIVE_FACTOR * 1000) / 1000);
}
