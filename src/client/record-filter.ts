/**
 * Consumer filters (`consumer.subscribe(topic, { filter })`), evaluated on a record's bytes
 * before any message object or copy is made: the decode path (consumer-message.ts) asks the
 * filter about each `RecordView`, and only records it keeps become messages. Records filtered
 * out count as consumed: the partition's position and commits move past them, and `lag()`
 * counts them in `filteredCount`.
 *
 * Two forms, both compiled once, at `subscribe`, into one tree (filter-expression.ts):
 * - conditions: `{ headers: { type: 'order.created', region: ['eu', 'us'] }, key: { prefix:
 *   'vip-' } }`: every header named has one of its values, and the key matches (a string or
 *   strings: equal to one; `{ prefix }`: starts with it);
 * - an expression in a SQL subset: `type = 'order' AND amount > 100 AND region IN ('eu','us')`.
 *
 * Per record, the headers the filter names are found in one walk over the record's header
 * bytes (their positions kept in two preallocated arrays), and text is compared as bytes; only
 * ordering and numeric comparisons decode a header's text.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { isObject } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import { readVarint, type RecordView, type VarintCursor } from '../records/index.js';
import { parseFilterExpression, type FilterNode, type Operand } from './filter-expression.js';

export interface FilterConditions {
  /** Header name → the value it must have, or the values it may have. */
  headers?: Record<string, string | string[]>;
  /** The key: equal to this string (one of these), or starting with `prefix`. */
  key?: string | string[] | { prefix: string };
}

export type RecordFilterSpec = FilterConditions | string;

/** Keeps a record (true) or skips it, from its bytes. */
export type RecordPredicate = (record: RecordView) => boolean;

const conditionNames: OptionNames<FilterConditions> = { headers: true, key: true };

type Node = FilterNode | { kind: 'prefix'; prefix: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Validates and compiles a filter (the `filter` option of `subscribe`). */
export function compileFilter(spec: unknown): RecordPredicate {
  const tree = typeof spec === 'string' ? parseFilterExpression(spec) : conditionsTree(spec);
  return new CompiledFilter(tree).predicate;
}

function conditionsTree(spec: unknown): Node {
  if (!isObject(spec)) throw invalidConfig('options.filter', spec, 'an object or an expression');
  rejectUnknownOptions(spec, conditionNames, 'filter.');
  const parts: Node[] = [];
  const { headers, key } = spec;
  if (headers !== undefined) {
    if (!isObject(headers)) throw invalidConfig('options.filter.headers', headers, 'an object');
    for (const [name, wanted] of Object.entries(headers)) {
      const values = textList(`options.filter.headers.${name}`, wanted);
      parts.push({ kind: 'in', operand: { kind: 'header', name }, negated: false,
        values: values.map((value) => ({ kind: 'string', value })) });
    }
  }
  if (key !== undefined) {
    if (isObject(key)) {
      rejectUnknownOptions(key, { prefix: true }, 'filter.key.');
      if (typeof key.prefix !== 'string') {
        throw invalidConfig('options.filter.key.prefix', key.prefix, 'a string');
      }
      parts.push({ kind: 'prefix', prefix: key.prefix });
    } else {
      parts.push({ kind: 'in', operand: { kind: 'key' }, negated: false,
        values: textList('options.filter.key', key).map((value) => ({ kind: 'string', value })) });
    }
  }
  if (parts.length === 0) {
    throw invalidConfig('options.filter', '{}', 'headers or key conditions');
  }
  return parts.reduce((left, right) => ({ kind: 'and', left, right }) as FilterNode);
}

function textList(name: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string')) {
    throw invalidConfig(name, value, 'a string or a non-empty array of strings');
  }
  return list as string[];
}

/** Where the operand's bytes are in the current record, or none. */
const ABSENT = -1;

class CompiledFilter {
  private readonly names: string[] = [];
  private readonly nameBytes: Uint8Array[] = [];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private bytes: Uint8Array = new Uint8Array(0);
  private keyStart = ABSENT;
  private keyEnd = ABSENT;
  private readonly cursor: VarintCursor = { position: 0 };
  private readonly root: () => boolean;
  readonly predicate: RecordPredicate;

  constructor(tree: Node) {
    collectHeaders(tree, this.names);
    for (const name of this.names) this.nameBytes.push(encoder.encode(name));
    this.starts = new Int32Array(this.names.length);
    this.ends = new Int32Array(this.names.length);
    this.root = this.compile(tree);
    this.predicate = (record) => this.test(record);
  }

  private test(record: RecordView): boolean {
    this.bytes = record.bytes;
    if (record.keySizeBytes < 0) {
      this.keyStart = ABSENT;
    } else {
      this.keyStart = record.keyPosition;
      this.keyEnd = record.keyPosition + record.keySizeBytes;
    }
    if (this.names.length > 0) this.findHeaders(record.headersPosition, record.headerCount);
    return this.root();
  }

  /** One walk over the header bytes (already bounds-checked by the decoder). */
  private findHeaders(position: number, count: number): void {
    this.starts.fill(ABSENT);
    const bytes = this.bytes;
    const cursor = this.cursor;
    cursor.position = position;
    for (let h = 0; h < count; h++) {
      const nameSize = readVarint(bytes, cursor);
      const nameStart = cursor.position;
      cursor.position += nameSize;
      const valueSize = readVarint(bytes, cursor);
      const valueStart = cursor.position;
      if (valueSize > 0) cursor.position += valueSize;
      const index = this.nameIndex(nameStart, nameSize);
      if (index >= 0 && this.starts[index] === ABSENT) {
        this.starts[index] = valueStart;
        this.ends[index] = valueStart + Math.max(0, valueSize);
      }
    }
  }

  private nameIndex(start: number, size: number): number {
    const names = this.nameBytes;
    for (let i = 0; i < names.length; i++) {
      if (sameBytes(this.bytes, start, start + size, names[i])) return i;
    }
    return -1;
  }

  private compile(node: Node): () => boolean {
    switch (node.kind) {
      case 'and': {
        const left = this.compile(node.left);
        const right = this.compile(node.right);
        return () => left() && right();
      }
      case 'or': {
        const left = this.compile(node.left);
        const right = this.compile(node.right);
        return () => left() || right();
      }
      case 'not': {
        const operand = this.compile(node.operand);
        return () => !operand();
      }
      case 'const': return node.value ? () => true : () => false;
      case 'prefix': {
        const prefix = encoder.encode(node.prefix);
        return () => this.keyStart !== ABSENT && this.keyEnd - this.keyStart >= prefix.length &&
          sameBytes(this.bytes, this.keyStart, this.keyStart + prefix.length, prefix);
      }
      case 'null': {
        const present = this.presence(node.operand);
        return node.negated ? present : () => !present();
      }
      case 'in': {
        const tests = node.values.map((value) => this.comparison('=', node.operand, value));
        const any = tests.length === 1 ? tests[0] : (): boolean => {
          for (let i = 0; i < tests.length; i++) if (tests[i]()) return true;
          return false;
        };
        return node.negated ? () => this.presence(node.operand)() && !any() : any;
      }
      case 'between': {
        const low = this.comparison('>=', node.operand, node.low);
        const high = this.comparison('<=', node.operand, node.high);
        const within = (): boolean => low() && high();
        return node.negated ? () => this.presence(node.operand)() && !within() : within;
      }
      case 'compare': return this.comparison(node.op, node.left, node.right);
    }
  }

  private presence(operand: Operand): () => boolean {
    if (operand.kind === 'key') return () => this.keyStart !== ABSENT;
    if (operand.kind !== 'header') return () => true;
    const index = this.names.indexOf(operand.name);
    return () => this.starts[index] !== ABSENT;
  }

  private comparison(op: string, left: Operand, right: Operand): () => boolean {
    // The usual case, a field equal (or not) to a text literal: compared as bytes.
    if ((op === '=' || op === '<>') && left.kind !== 'string' && left.kind !== 'number' &&
      right.kind === 'string') {
      const literal = encoder.encode(right.value);
      const range = this.range(left);
      const equal = op === '=';
      return () => {
        const at = range();
        return at !== undefined && sameBytes(this.bytes, at[0], at[1], literal) === equal;
      };
    }
    const numeric = left.kind === 'number' || right.kind === 'number';
    const leftValue = this.value(left, numeric);
    const rightValue = this.value(right, numeric);
    const order = comparator(op);
    return () => {
      const a = leftValue();
      const b = rightValue();
      if (a === undefined || b === undefined) return false;
      if (typeof a === 'number' && (Number.isNaN(a) || Number.isNaN(b as number))) return false;
      return order(a < b ? -1 : a > b ? 1 : 0);
    };
  }

  private readonly rangeOut: [number, number] = [0, 0];

  private range(operand: Operand): () => [number, number] | undefined {
    const out = this.rangeOut;
    if (operand.kind === 'key') {
      return () => {
        if (this.keyStart === ABSENT) return undefined;
        out[0] = this.keyStart;
        out[1] = this.keyEnd;
        return out;
      };
    }
    if (operand.kind !== 'header') throw new MambaError('INVALID_CONFIG', 'not a field');
    const index = this.names.indexOf(operand.name);
    return () => {
      if (this.starts[index] === ABSENT) return undefined;
      out[0] = this.starts[index];
      out[1] = this.ends[index];
      return out;
    };
  }

  private value(operand: Operand, numeric: boolean): () => string | number | undefined {
    if (operand.kind === 'number') {
      const value = operand.value;
      return () => value;
    }
    if (operand.kind === 'string') {
      const value = numeric ? Number(operand.value) : operand.value;
      return () => value;
    }
    const range = this.range(operand);
    return () => {
      const at = range();
      if (at === undefined) return undefined;
      const text = decoder.decode(this.bytes.subarray(at[0], at[1]));
      return numeric ? (text.trim() === '' ? Number.NaN : Number(text)) : text;
    };
  }
}

function comparator(op: string): (sign: number) => boolean {
  switch (op) {
    case '=': return (sign) => sign === 0;
    case '<>': return (sign) => sign !== 0;
    case '<': return (sign) => sign < 0;
    case '<=': return (sign) => sign <= 0;
    case '>': return (sign) => sign > 0;
    default: return (sign) => sign >= 0;
  }
}

function collectHeaders(node: Node, names: string[]): void {
  const add = (operand: Operand): void => {
    if (operand.kind === 'header' && !names.includes(operand.name)) names.push(operand.name);
  };
  switch (node.kind) {
    case 'and': case 'or':
      collectHeaders(node.left, names);
      collectHeaders(node.right, names);
      return;
    case 'not': collectHeaders(node.operand, names); return;
    case 'compare': add(node.left); add(node.right); return;
    case 'in': add(node.operand); node.values.forEach(add); return;
    case 'null': add(node.operand); return;
    case 'between': add(node.operand); add(node.low); add(node.high); return;
    case 'const': case 'prefix': return;
  }
}

function sameBytes(bytes: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (bytes[start + i] !== other[i]) return false;
  return true;
}
