/**
 * The SQL subset of consumer filters (RocketMQ's SQL92 filter, over headers and the key),
 * parsed once into a tree that record-filter.ts evaluates per record:
 *
 *   expr       := or
 *   or         := and ( OR and )*
 *   and        := not ( AND not )*
 *   not        := NOT not | predicate
 *   predicate  := '(' expr ')' | TRUE | FALSE
 *               | operand ( op operand | [NOT] IN '(' literal ( ',' literal )* ')'
 *                         | IS [NOT] NULL | [NOT] BETWEEN operand AND operand )
 *   op         := = | <> | != | < | <= | > | >=
 *   operand    := name | "quoted name" | 'string' | number
 *
 * A name is a header (`type`, `region`), except `key`, the record's key; a double-quoted name
 * is always a header (`"key"`, `"x-trace-id"`). Keywords are case-insensitive. Values compare
 * as numbers when the literal is a number (a header that is not a number then matches no
 * comparison), else as text. A missing header or null key matches no comparison, IN or
 * BETWEEN, only IS NULL (two-valued logic: `NOT (a = 1)` holds when `a` is missing).
 *
 * A bad expression is `INVALID_CONFIG` naming the token and its position (0-based), e.g.
 * `filter: unexpected ')' at position 14, expected a value`.
 */
import { MambaError } from '../errors.js';
import { filterExpressionLengthMax } from '../constants.js';

export type Operand =
  | { kind: 'header'; name: string }
  | { kind: 'key' }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number };

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'const'; value: boolean }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'in'; operand: Operand; values: Operand[]; negated: boolean }
  | { kind: 'null'; operand: Operand; negated: boolean }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand; negated: boolean };

type TokenKind = 'name' | 'quoted' | 'string' | 'number' | 'op' | 'punct' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'BETWEEN', 'TRUE', 'FALSE']);

function filterError(expression: string, token: Token, expected: string): MambaError {
  const shown = token.kind === 'end' ? 'end of filter' : `'${token.text}'`;
  return new MambaError('INVALID_CONFIG',
    `filter: unexpected ${shown} at position ${token.position}, expected ${expected}`,
    { detail: { option: 'filter', expression, position: token.position, token: token.text } });
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:([A-Za-z_][\w.-]*)|"((?:[^"]|"")*)"|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(<=|>=|<>|!=|=|<|>)|([(),]))/y;
  let position = 0;
  while (position < expression.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(expression);
    if (match === null) {
      const at = position + (expression.slice(position).length -
        expression.slice(position).trimStart().length);
      if (at >= expression.length) break;
      throw filterError(expression, { kind: 'punct', text: expression[at], position: at },
        'a name, a value, an operator or a parenthesis');
    }
    const start = match.index + match[0].length - match[0].trimStart().length;
    const [, name, quoted, text, number, op, punct] = match;
    if (name !== undefined) tokens.push({ kind: 'name', text: name, position: start });
    else if (quoted !== undefined) {
      tokens.push({ kind: 'quoted', text: quoted.replaceAll('""', '"'), position: start });
    } else if (text !== undefined) {
      tokens.push({ kind: 'string', text: text.replaceAll("''", "'"), position: start });
    } else if (number !== undefined) tokens.push({ kind: 'number', text: number, position: start });
    else if (op !== undefined) tokens.push({ kind: 'op', text: op, position: start });
    else tokens.push({ kind: 'punct', text: punct, position: start });
    position = pattern.lastIndex;
  }
  tokens.push({ kind: 'end', text: '', position: expression.length });
  return tokens;
}

/** Parses a filter expression; throws INVALID_CONFIG at the first bad token. */
export function parseFilterExpression(expression: string): FilterNode {
  if (expression.length > filterExpressionLengthMax) {
    throw new MambaError('INVALID_CONFIG', `filter: longer than ${filterExpressionLengthMax} ` +
      `characters (${expression.length})`, { detail: { option: 'filter' } });
  }
  const parser = new Parser(expression, tokenize(expression));
  const node = parser.expression();
  parser.expectEnd();
  return node;
}

class Parser {
  private index = 0;

  constructor(private readonly expressionText: string, private readonly tokens: Token[]) {}

  expression(): FilterNode {
    let left = this.and();
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.error(token, 'AND, OR or the end of the filter');
  }

  private and(): FilterNode {
    let left = this.not();
    while (this.keyword('AND')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): FilterNode {
    if (this.keyword('NOT')) return { kind: 'not', operand: this.not() };
    return this.predicate();
  }

  private predicate(): FilterNode {
    if (this.punct('(')) {
      const inner = this.expression();
      this.expectPunct(')');
      return inner;
    }
    if (this.keyword('TRUE')) return { kind: 'const', value: true };
    if (this.keyword('FALSE')) return { kind: 'const', value: false };
    const operand = this.operand();
    const token = this.peek();
    if (token.kind === 'op') {
      this.index++;
      const op = (token.text === '!=' ? '<>' : token.text) as CompareOp;
      return { kind: 'compare', op, left: operand, right: this.operand() };
    }
    if (this.keyword('IS')) {
      const negated = this.keyword('NOT');
      if (!this.keyword('NULL')) throw this.error(this.peek(), 'NULL');
      return { kind: 'null', operand, negated };
    }
    const negated = this.keyword('NOT');
    if (this.keyword('IN')) {
      this.expectPunct('(');
      const values = [this.literal()];
      while (this.punct(',')) values.push(this.literal());
      this.expectPunct(')');
      return { kind: 'in', operand, values, negated };
    }
    if (this.keyword('BETWEEN')) {
      const low = this.operand();
      if (!this.keyword('AND')) throw this.error(this.peek(), 'AND');
      return { kind: 'between', operand, low, high: this.operand(), negated };
    }
    throw this.error(this.peek(), negated ? 'IN or BETWEEN'
      : 'a comparison (=, <>, <, <=, >, >=), IN, BETWEEN or IS NULL');
  }

  private operand(): Operand {
    const token = this.peek();
    if (token.kind === 'name' && !KEYWORDS.has(token.text.toUpperCase())) {
      this.index++;
      return token.text === 'key' ? { kind: 'key' } : { kind: 'header', name: token.text };
    }
    if (token.kind === 'quoted') {
      this.index++;
      return { kind: 'header', name: token.text };
    }
    return this.literal();
  }

  private literal(): Operand {
    const token = this.peek();
    if (token.kind === 'string') {
      this.index++;
      return { kind: 'string', value: token.text };
    }
    if (token.kind === 'number') {
      this.index++;
      return { kind: 'number', value: Number(token.text) };
    }
    throw this.error(token, 'a value');
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token.kind !== 'name' || token.text.toUpperCase() !== word) return false;
    this.index++;
    return true;
  }

  private punct(text: string): boolean {
    const token = this.peek();
    if (token.kind !== 'punct' || token.text !== text) return false;
    this.index++;
    return true;
  }

  private expectPunct(text: string): void {
    if (!this.punct(text)) throw this.error(this.peek(), `'${text}'`);
  }

  private error(token: Token, expected: string): MambaError {
    return filterError(this.expressionText, token, expected);
  }
}
