/** The committed message tables are exactly what the generator makes from schema/kafka. */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations.
import { generate, outDir } from '../../scripts/kafka-codegen.mjs';

it('regenerating src/protocol/generated gives the committed files', () => {
  const files = generate() as Record<string, string>;
  expect(Object.keys(files).sort()).toEqual(fs.readdirSync(outDir).sort());
  for (const [name, content] of Object.entries(files)) {
    expect(fs.readFileSync(path.join(outDir as string, name), 'utf8'), name).toBe(content);
  }
});
