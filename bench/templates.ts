/**
 * Template mining on stdin: one message a line in, one template a line out, in order, each the
 * template of the line's group after the last line (the LogHub scorer's input). Uses the
 * production miner with its default configuration.
 *
 *   npm run --silent bench:templates < content.txt > templates.txt
 */
import { readFileSync } from 'node:fs';
import { TemplateMiner } from '../lambdas/logs/miner.js';
import { templateText } from '../lambdas/logs/tokens-merge.js';
import type { TemplateRecord } from '../lambdas/logs/types.js';

/** Mines `lines` in order; returns each line's final template text. */
export function mineTemplates(lines: readonly string[], miner = new TemplateMiner()): string[] {
  const assigned: { id: string; record: TemplateRecord }[] = [];
  for (const line of lines) {
    const { template } = miner.mine(line);
    assigned.push({ id: template.id, record: template });
  }
  const live = new Map<string, TemplateRecord>();
  for (const template of miner.state.templates) {
    live.set(template.id, template);
    for (const alias of template.aliases) live.set(alias, template);
  }
  return assigned.map(({ id, record }) => templateText((live.get(id) ?? record).tokens));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const input = readFileSync(0, 'utf8').split('\n');
  if (input[input.length - 1] === '') input.pop();
  process.stdout.write(`${mineTemplates(input).join('\n')}\n`);
}
