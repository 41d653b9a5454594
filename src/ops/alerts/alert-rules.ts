/**
 * Alert rules: the YAML file (`--alerts alerts.yaml`) or the same object in code
 * (`broker.alerts(config)`), checked once here into a filled `AlertConfig`. A bad file is an
 * INVALID_CONFIG whose message names the file, line, rule and field:
 * `alerts.yaml:14: rules[2] (LagHigh): above must be a positive number (got -1)`.
 *
 * ```yaml
 * interval: 5s                 # evaluation interval (default 5s)
 * notify:
 *   webhooks: [http://127.0.0.1:9095/hook]
 *   groupWait: 1s              # before the first notification of a new group (default 1s)
 *   groupInterval: 30s         # between notifications of a changed group (default 30s)
 *   repeatInterval: 4h         # before repeating an unchanged firing group (default 4h)
 * rules:
 *   - { name: LagHigh, kind: consumer-lag, above: 1000, for: 1m, group: "*", topic: "*" }
 *   - { name: RestartStorm, kind: actor-restarts, above: 3 }          # per minute
 *   - { name: PartitionFailed, kind: partition-failed }
 *   - { name: DiskLow, kind: disk-free, below: 10 }                   # percent
 *   - { name: FlushSlow, kind: flush-latency-p99, above: 50ms, for: 1m }
 *   - { name: DlqReceiving, kind: dlq-messages, topic: "*.DLQ" }
 * ```
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import { MambaError } from '../../errors.js';

export const ALERT_KINDS = [
  'consumer-lag', 'actor-restarts', 'partition-failed', 'disk-free', 'flush-latency-p99',
  'dlq-messages',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRule {
  name: string;
  kind: AlertKind;
  /** The threshold: records (lag), restarts per minute, seconds (flush p99). */
  above: number;
  /** The threshold of disk-free: percent. */
  below: number;
  forMs: number;
  /** Glob patterns (`*` matches anything) on group and topic names. */
  group: string;
  topic: string;
  severity: string;
  summary: string | undefined;
}

export interface AlertConfig {
  intervalMs: number;
  webhooks: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  rules: AlertRule[];
}

/** The rules as written (YAML or code); durations as `"30s"`, `"5m"`, or milliseconds. */
export interface AlertConfigInput {
  interval?: string | number;
  notify?: {
    webhooks?: (string | { url: string })[];
    groupWait?: string | number;
    groupInterval?: string | number;
    repeatInterval?: string | number;
  };
  rules: {
    name: string; kind: AlertKind; above?: number | string; below?: number; for?: string | number;
    group?: string; topic?: string; severity?: string; summary?: string;
  }[];
}

export const alertRulesMax = 256;
export const webhooksMax = 16;

type Path = (string | number)[];
type Locate = (path: Path) => string;

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a YAML rules file's text; `file` names it in error messages. */
export function parseAlertConfig(text: string, file = 'alerts.yaml'): AlertConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos?.[0].line;
    throw new MambaError('INVALID_CONFIG',
      `${file}${line === undefined ? '' : `:${line}`}: not valid YAML: ${error.message}`,
      { detail: { file, line } });
  }
  return checkAlertConfig(doc.toJS() as unknown, locator(doc, lineCounter, file));
}

function locator(doc: Document, lines: LineCounter, file: string): Locate {
  return (path) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number] };
      if (node?.range !== undefined) return `${file}:${lines.linePos(node.range[0]).line}`;
    }
    return file;
  };
}

/** Checks rules given in code (or parsed from YAML) and fills the defaults. */
export function checkAlertConfig(input: unknown, locate: Locate = () => 'alerts'): AlertConfig {
  const fail = (path: Path, message: string, rule?: string): never => {
    const where = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')
      .replace(/^\./, '');
    const ruleName = rule === undefined ? '' : ` (${rule})`;
    throw new MambaError('INVALID_CONFIG', `${locate(path)}: ${where}${ruleName}: ${message}`,
      { detail: { path: where, rule } });
  };
  if (!isObject(input)) return fail([], 'the alert rules must be a mapping with `rules:`');
  checkKeys(input, ['interval', 'notify', 'rules'], [], fail);
  const notify = input.notify ?? {};
  if (!isObject(notify)) return fail(['notify'], 'must be a mapping');
  checkKeys(notify, ['webhooks', 'groupWait', 'groupInterval', 'repeatInterval'], ['notify'], fail);
  const rules = input.rules;
  if (!Array.isArray(rules) || rules.length === 0 || rules.length > alertRulesMax) {
    return fail(['rules'], `must be a list of 1 to ${alertRulesMax} rules`);
  }
  const names = new Set<string>();
  const checked = rules.map((rule, index) => {
    const checkedRule = checkRule(rule, ['rules', index], fail);
    if (names.has(checkedRule.name)) {
      fail(['rules', index, 'name'], `duplicate rule name ${JSON.stringify(checkedRule.name)}`);
    }
    names.add(checkedRule.name);
    return checkedRule;
  });
  return {
    intervalMs: duration(input.interval, 5_000, ['interval'], fail, 100),
    webhooks: checkWebhooks(notify.webhooks, fail),
    groupWaitMs: duration(notify.groupWait, 1_000, ['notify', 'groupWait'], fail, 0),
    groupIntervalMs: duration(notify.groupInterval, 30_000, ['notify', 'groupInterval'], fail, 0),
    repeatIntervalMs: duration(notify.repeatInterval, 4 * 3_600_000, ['notify', 'repeatInterval'],
      fail, 0),
    rules: checked,
  };
}

type Fail = (path: Path, message: string, rule?: string) => never;

function checkRule(rule: unknown, path: Path, fail: Fail): AlertRule {
  if (!isObject(rule)) return fail(path, 'a rule must be a mapping');
  const name = rule.name;
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return fail([...path, 'name'], 'name must be a Prometheus alert name ([A-Za-z_][A-Za-z0-9_]*)');
  }
  const kind = rule.kind as AlertKind;
  if (!ALERT_KINDS.includes(kind)) {
    return fail([...path, 'kind'], `kind must be one of ${ALERT_KINDS.join(', ')} ` +
      `(got ${JSON.stringify(kind)})`, name);
  }
  checkKeys(rule, ['name', 'kind', 'above', 'below', 'for', 'group', 'topic', 'severity',
    'summary'], path, fail, name);
  const needsAbove = kind === 'consumer-lag' || kind === 'actor-restarts' ||
    kind === 'flush-latency-p99';
  let above = 0;
  if (needsAbove) {
    if (rule.above === undefined) {
      return fail([...path, 'above'], `a ${kind} rule needs a threshold 'above'`, name);
    }
    above = kind === 'flush-latency-p99'
      ? duration(rule.above, undefined, [...path, 'above'], fail, 0, name) / 1000
      : rule.above as number;
    if (typeof above !== 'number' || !Number.isFinite(above) || above < 0) {
      return fail([...path, 'above'],
        `above must be a non-negative number (got ${JSON.stringify(rule.above)})`, name);
    }
  } else if (rule.above !== undefined) {
    return fail([...path, 'above'], `a ${kind} rule takes no threshold 'above'`, name);
  }
  const below = rule.below ?? 0;
  if (kind === 'disk-free' && (typeof below !== 'number' || !(below > 0 && below < 100))) {
    return fail([...path, 'below'],
      `below must be a percentage between 0 and 100 (got ${JSON.stringify(rule.below)})`, name);
  }
  for (const field of ['group', 'topic', 'severity', 'summary'] as const) {
    if (rule[field] !== undefined && typeof rule[field] !== 'string') {
      return fail([...path, field], `${field} must be a string`, name);
    }
  }
  return {
    name, kind, above, below: below as number,
    forMs: duration(rule.for, 0, [...path, 'for'], fail, 0, name),
    group: (rule.group as string | undefined) ?? '*',
    topic: (rule.topic as string | undefined) ?? (kind === 'dlq-messages' ? '*.DLQ' : '*'),
    severity: (rule.severity as string | undefined) ?? 'warning',
    summary: rule.summary as string | undefined,
  };
}

function checkWebhooks(value: unknown, fail: Fail): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > webhooksMax) {
    return fail(['notify', 'webhooks'], `must be a list of at most ${webhooksMax} URLs`);
  }
  return value.map((entry, index) => {
    const url = isObject(entry) ? entry.url : entry;
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined; // Reported below with the value, which says more than URL's message.
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      return fail(['notify', 'webhooks', index],
        `must be an http(s) URL (got ${JSON.stringify(url)})`);
    }
    return parsed.href;
  });
}

function duration(value: unknown, fallback: number | undefined, path: Path, fail: Fail,
  minMs: number, rule?: string): number {
  if (value === undefined && fallback !== undefined) return fallback;
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value;
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
    if (match !== null) ms = Number(match[1]) * unitMs[match[2]];
  }
  if (ms === undefined || ms < minMs) {
    return fail(path, `${String(path[path.length - 1])} must be a duration like 500ms, 30s, ` +
      `5m or 1h${minMs > 0 ? ` of at least ${minMs} ms` : ''} (got ${JSON.stringify(value)})`,
    rule);
  }
  return ms;
}

function checkKeys(object: Record<string, unknown>, known: string[], path: Path, fail: Fail,
  rule?: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      fail([...path, key], `unknown field ${JSON.stringify(key)} (known: ${known.join(', ')})`,
        rule);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A glob (`*` matches any run of characters) as an anchored regular expression's source. */
export function globSource(glob: string): string {
  return glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
}

export function globMatcher(glob: string): (name: string) => boolean {
  const regex = new RegExp(`^${globSource(glob)}$`);
  return (name) => regex.test(name);
}
