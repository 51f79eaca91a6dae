/** Prometheus' text exposition format (version 0.0.4), for the /metrics route. */

/** A metric family: its HELP and TYPE lines, then one sample per label set. */
export function family(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: readonly { readonly labels?: Readonly<Record<string, string>>; value: number }[],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const sample of samples) {
    const labels = Object.entries(sample.labels ?? {})
      .map(
        ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
      )
      .join(',');
    lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${sample.value}`);
  }
  return lines.join('\n') + '\n';
}
