/** Errors of the threshold rules engine. */

/** One problem found while validating rule definitions. */
export interface RuleIssue {
  /** The rule's `id`, or `#<index>` when the rule has no usable id. */
  ruleId: string;
  /** The offending key, dotted (`aggregate.op`, `divideBy.metric`), or `''` for the rule itself. */
  key: string;
  message: string;
}

/** Rule definitions that do not validate; the message names every rule id and key at fault. */
export class RuleValidationError extends Error {
  readonly issues: readonly RuleIssue[];

  constructor(issues: readonly RuleIssue[]) {
    super(
      `invalid rules: ${issues
        .map(
          (issue) =>
            `rule ${issue.ruleId}${issue.key ? `, key ${issue.key}` : ''}: ${issue.message}`,
        )
        .join('; ')}`,
    );
    this.name = 'RuleValidationError';
    this.issues = issues;
  }
}

/** A summary template that does not parse (unclosed `{{`, unknown formatter…). */
export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** A duration that is not of the form `30s`, `5m`, `1h30m`. */
export class DurationSyntaxError extends Error {
  constructor(text: string) {
    super(`"${text}" is not a duration (use e.g. 30s, 5m, 1h30m, 2d; units ms s m h d w)`);
    this.name = 'DurationSyntaxError';
  }
}
