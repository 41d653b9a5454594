import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';

/**
 * The URL of a compiled worker entry, given its path relative to the calling module.
 *
 * Workers always load compiled JavaScript from dist/: Node 20 cannot run `.ts` files, and the
 * test runner transpiles only the modules it imports itself. When the caller is a `.ts` source
 * (under vitest), its `src/x/y.ts` is mapped to `dist/src/x/y.js`, so tests exercise the very
 * files the package ships. `npm test` builds dist/ first.
 */
export function workerUrl(relativeJsPath: string, callerUrl: string): URL {
  const callerPath = fileURLToPath(callerUrl);
  if (!callerPath.endsWith('.ts')) return new URL(relativeJsPath, callerUrl);
  const root = findPackageRoot(path.dirname(callerPath));
  const relativeDir = path.relative(root, path.dirname(callerPath));
  const target = path.join(root, 'dist', relativeDir, relativeJsPath);
  return pathToFileURL(target);
}

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}
