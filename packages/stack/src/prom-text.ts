/**
 * A sample of the Prometheus text or OpenMetrics exposition format: enough of a parser to assert on
 * in tests. OpenMetrics adds an exemplar after `#` on a line (a trace's ids, its value, its time).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number; timestamp?: number };
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const LABELS = String.raw`\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\}`;
const SAMPLE_LINE = new RegExp(
  String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:${LABELS})?\s+(\S+)(?:\s+\d+(?:\.\d+)?)?(?:\s+#\s+${LABELS}\s+(\S+)(?:\s+(\S+))?)?$`,
);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').matchAll(LABEL_PAIR)) {
    labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) =>
      c === 'n' ? '\n' : c,
    );
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const sample: Sample = { name: match[1] as string, labels: labelsOf(match[2]), value: Number(match[3]) };
    if (match[5] !== undefined) {
      sample.exemplar = {
        labels: labelsOf(match[4]),
        value: Number(match[5]),
        ...(match[6] !== undefined ? { timestamp: Number(match[6]) } : {}),
      };
    }
    samples.push(sample);
  }
  return { samples, types };
}

export function seriesKey(sample: Sample): string {
  const labels = Object.entries(sample.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${sample.name}{${labels}}`;
}

/** Sum of the samples named `name` whose labels include every pair in `match`. */
export function sumSamples(exposition: Exposition, name: string, match: Record<string, string> = {}): number {
  return exposition.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
