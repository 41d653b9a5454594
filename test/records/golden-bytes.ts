import { readFileSync } from 'node:fs';

/** Reads a hex fixture: hex byte pairs, with `#` comments to the end of a line. */
export function readHexFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  const hex = text.split('\n').map((line) => line.replace(/#.*$/, '')).join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`${name} is not hex pairs`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
