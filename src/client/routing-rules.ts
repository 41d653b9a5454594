/**
 * Producer routing rules (`broker.producer({ routing })`), the seeds' `RoutingPolicy.add_rule`:
 * a list of `{ match, partition?, topic? }`, checked in order for each message sent without a
 * `partition` of its own; the first rule that matches decides, else the partitioner does (a
 * custom partitioner function keeps working).
 *
 * - `match`: `{ headers: { region: 'eu' } }` (every header named has the value, or one of the
 *   values), `{ key: /^vip-/ }` (the key, as UTF-8 text, matches), or `{ topic: 'orders' }`
 *   (the message is sent to that topic); several in one `match` must all hold.
 * - the rule sends the message to `partition` (of its topic), or to `topic` (another topic, at
 *   `partition` if given, else where the partitioner puts it there), or both.
 *
 * Rules are checked when the producer is made: a topic that does not exist is UNKNOWN_TOPIC, a
 * partition out of range of the topic it applies to is INVALID_PARTITION; a partition rule
 * that can apply to any topic is checked against the topic of each send.
 */
import { MambaError, invalidConfig, unknownTopic } from '../errors.js';
import { routingRulesMax } from '../constants.js';
import { isObject } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import type { TopicDirectory } from '../shm/index.js';

export interface RoutingMatch {
  headers?: Record<string, string | string[]>;
  key?: RegExp;
  topic?: string;
}

export interface RoutingRule {
  match: RoutingMatch;
  partition?: number;
  topic?: string;
}

interface CompiledRule {
  headers: Array<[string, string[]]>;
  key: RegExp | undefined;
  topic: string | undefined;
  targetTopic: string | undefined;
  partition: number | undefined;
}

/** Where a message goes: its topic, and a partition when a rule named one. */
export interface Route {
  topic: string;
  partition: number | undefined;
}

const ruleNames: OptionNames<RoutingRule> = { match: true, partition: true, topic: true };
const matchNames: OptionNames<RoutingMatch> = { headers: true, key: true, topic: true };
const decoder = new TextDecoder();

export class RoutingTable {
  private readonly rules: CompiledRule[];

  constructor(rules: unknown, private readonly directory: TopicDirectory) {
    if (!Array.isArray(rules) || rules.length > routingRulesMax) {
      throw invalidConfig('options.routing', rules, `an array of at most ${routingRulesMax} ` +
        'rules { match, partition?, topic? }');
    }
    this.rules = rules.map((rule: unknown, index) => this.compile(rule, index));
  }

  /** The route of a message sent to `topic`; undefined when no rule matches. */
  route(topic: string, key: unknown, headers: Record<string, unknown> | undefined):
  Route | undefined {
    for (const rule of this.rules) {
      if (rule.topic !== undefined && rule.topic !== topic) continue;
      if (rule.key !== undefined && !matchesKey(rule.key, key)) continue;
      if (!rule.headers.every(([name, values]) => {
        const value = text(headers?.[name]);
        return value !== undefined && values.includes(value);
      })) {
        continue;
      }
      return { topic: rule.targetTopic ?? topic, partition: rule.partition };
    }
    return undefined;
  }

  private compile(rule: unknown, index: number): CompiledRule {
    const where = `options.routing[${index}]`;
    if (!isObject(rule)) throw invalidConfig(where, rule, 'a rule { match, partition?, topic? }');
    rejectUnknownOptions(rule, ruleNames, `routing[${index}].`);
    const { match, partition, topic } = rule;
    if (!isObject(match)) throw invalidConfig(`${where}.match`, match, 'an object');
    rejectUnknownOptions(match, matchNames, `routing[${index}].match.`);
    if (match.key !== undefined && !(match.key instanceof RegExp)) {
      throw invalidConfig(`${where}.match.key`, match.key, 'a regular expression');
    }
    if (partition === undefined && topic === undefined) {
      throw invalidConfig(where, 'no partition or topic', 'a partition, a topic, or both');
    }
    const headers = this.headersOf(where, match.headers);
    if (match.key === undefined && match.topic === undefined && headers.length === 0) {
      throw invalidConfig(`${where}.match`, '{}', 'headers, key or topic');
    }
    const matchTopic = match.topic === undefined ? undefined
      : this.existing(`${where}.match.topic`, match.topic);
    const targetTopic = topic === undefined ? undefined : this.existing(`${where}.topic`, topic);
    if (partition !== undefined) {
      if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
        throw invalidConfig(`${where}.partition`, partition, 'a partition number');
      }
      const appliesTo = targetTopic ?? matchTopic;
      if (appliesTo !== undefined) checkPartition(this.directory, appliesTo, partition);
    }
    return { headers, key: match.key as RegExp | undefined, topic: matchTopic, targetTopic,
      partition: partition as number | undefined };
  }

  private headersOf(where: string, headers: unknown): Array<[string, string[]]> {
    if (headers === undefined) return [];
    if (!isObject(headers)) throw invalidConfig(`${where}.match.headers`, headers, 'an object');
    return Object.entries(headers).map(([name, wanted]) => {
      const values = Array.isArray(wanted) ? wanted : [wanted];
      if (values.length === 0 || values.some((v) => typeof v !== 'string')) {
        throw invalidConfig(`${where}.match.headers.${name}`, wanted,
          'a string or a non-empty array of strings');
      }
      return [name, values as string[]];
    });
  }

  private existing(where: string, topic: unknown): string {
    if (typeof topic !== 'string') throw invalidConfig(where, topic, 'a topic name');
    if (this.directory.lookup(topic) === undefined) throw unknownTopic(topic);
    return topic;
  }
}

/** INVALID_PARTITION unless `topic` has `partition`. */
export function checkPartition(directory: TopicDirectory, topic: string, partition: number):
void {
  const location = directory.lookup(topic);
  if (location === undefined) throw unknownTopic(topic);
  if (partition >= location.partitionCount) {
    throw new MambaError('INVALID_PARTITION',
      `partition ${partition} out of range: topic ${topic} has ${location.partitionCount}`,
      { detail: { topic, partition } });
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  return undefined;
}

function matchesKey(pattern: RegExp, key: unknown): boolean {
  const keyText = text(key);
  if (keyText === undefined) return false;
  pattern.lastIndex = 0; // A /g or /y pattern keeps state between tests.
  return pattern.test(keyText);
}
