import { describe, expect, it } from 'vitest';
import { MambaError, fromWire, toWire, invalidConfig } from '../src/errors.js';
import { workerUrl } from '../src/worker-url.js';

describe('MambaError', () => {
  it('carries code and retriable, and survives the wire form', () => {
    const error = new MambaError('TIMEOUT', 'took too long');
    expect(error.retriable).toBe(true);
    const back = fromWire(structuredClone(toWire(error)));
    expect(back).toBeInstanceOf(MambaError);
    expect((back as MambaError).code).toBe('TIMEOUT');
    expect((back as MambaError).retriable).toBe(true);
  });

  it('names the option and the value in INVALID_CONFIG', () => {
    const error = invalidConfig('options.partitions', -1, 'a positive integer');
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe('options.partitions must be a positive integer (got -1)');
  });

  it('maps a .ts caller to its compiled file under dist/', () => {
    const url = workerUrl('./actor-main.js', new URL('../src/actors/x.ts', import.meta.url).href);
    expect(url.pathname.endsWith('/dist/src/actors/actor-main.js')).toBe(true);
  });
});
