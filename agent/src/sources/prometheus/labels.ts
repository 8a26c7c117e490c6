/** Target labels and Prometheus's `honor_labels: false` conflict handling. */

/**
 * The labels Prometheus attaches to every sample of a target: `job`, `instance` (`host:port` of
 * the URL, the port filled in from the scheme) and the target's own labels, which win over the
 * first two as static labels do in Prometheus. Empty values are dropped (an empty label is no
 * label in Prometheus).
 */
export function targetLabels(
  job: string,
  url: string,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const labels: Record<string, string> = { job, instance: `${parsed.hostname}:${port}` };
  for (const [name, value] of Object.entries(extra)) labels[name] = value;
  for (const [name, value] of Object.entries(labels)) if (value === '') delete labels[name];
  return labels;
}

/**
 * A scraped sample's labels with the target's labels applied, as Prometheus does with
 * `honor_labels: false`: a scraped label that clashes with a target label is kept as
 * `exported_<name>` (`exported_exported_<name>` if that is taken too), and labels with an
 * empty value are dropped.
 *
 * @example
 * mergeTargetLabels({ job: 'app', code: '200' }, { job: 'node', instance: 'h:9100' })
 * // { exported_job: 'app', code: '200', job: 'node', instance: 'h:9100' }
 */
export function mergeTargetLabels(
  scraped: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const name in scraped) {
    const value = scraped[name] as string;
    if (value === '') continue;
    if (Object.hasOwn(target, name)) conflicts.push(name);
    else merged[name] = value;
  }
  for (const name in target) merged[name] = target[name] as string;
  if (conflicts.length > 0) {
    for (const name of conflicts) {
      let exported = `exported_${name}`;
      while (Object.hasOwn(merged, exported)) exported = `exported_${exported}`;
      merged[exported] = scraped[name] as string;
    }
  }
  return merged;
}
