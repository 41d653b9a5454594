/**
 * `npm run bench -- <suite> [options]`: loads `bench/<suite>.ts` (compiled to
 * dist/bench/<suite>.js) and runs its `run(args)`. Suites are found at run time, so a suite
 * that is not written yet is reported, with the list of those that are, instead of breaking
 * the build or the other suites.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The suites the project plans, in the order they are listed. */
export const knownSuites = [
  'records', 'segments', 'ringbuffer', 'produce', 'consume', 'matrix', 'peers', 'scale', 'kafka',
  'metrics',
  'delay',
  'transactions',
] as const;

interface SuiteModule {
  run(args: string[]): Promise<void>;
  /** The suite's options, printed for `--help`; a suite without it takes no options. */
  help?: string;
}

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const moduleExtension = path.extname(fileURLToPath(import.meta.url));
const suiteNamePattern = /^[a-z][a-z0-9-]*$/;

/**
 * Suites present on disk: the known ones first, then any other module beside this one. A
 * module named `*-worker` is a worker thread's entry, not a suite.
 */
export function availableSuites(dir = benchDir, extension = moduleExtension): string[] {
  const present = readdirSync(dir)
    .filter((file) => file.endsWith(extension) && !file.endsWith(`.d${extension}`))
    .map((file) => file.slice(0, -extension.length))
    .filter((name) => name !== 'main' && !name.endsWith('-worker') && suiteNamePattern.test(name));
  const known: readonly string[] = knownSuites;
  return [
    ...known.filter((name) => present.includes(name)),
    ...present.filter((name) => !known.includes(name)).sort(),
  ];
}

function usage(): string {
  const available = availableSuites();
  const missing = knownSuites.filter((name) => !available.includes(name));
  return [
    'usage: mamba bench <suite> [options]   (in a checkout: npm run bench -- <suite> [options])',
    'mamba bench <suite> --help   the options of a suite',
    `suites: ${available.join(', ') || '(none built)'}`,
    ...(missing.length > 0 ? [`not written yet: ${missing.join(', ')}`] : []),
  ].join('\n');
}

export async function dispatch(argv: readonly string[]): Promise<number> {
  const [suite, ...args] = argv;
  if (suite === undefined || suite === '--help' || suite === '-h' || suite === 'help') {
    console.log(usage());
    return suite === undefined ? 2 : 0;
  }
  const modulePath = path.join(benchDir, `${suite}${moduleExtension}`);
  if (!suiteNamePattern.test(suite) || suite === 'main' || !existsSync(modulePath)) {
    const known: readonly string[] = knownSuites;
    const why = known.includes(suite)
      ? `suite ${JSON.stringify(suite)} is not written yet (bench/${suite}.ts is missing)`
      : `no suite named ${JSON.stringify(suite)}`;
    console.error(`mamba bench: ${why}\n${usage()}`);
    return 2;
  }
  const module = (await import(pathToFileURL(modulePath).href)) as Partial<SuiteModule>;
  if (typeof module.run !== 'function') {
    console.error(`mamba bench: bench/${suite} does not export run(args)`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(module.help ?? `usage: mamba bench ${suite}   (takes no options)`);
    return 0;
  }
  if (module.help === undefined && args.length > 0) {
    console.error(`mamba bench: ${suite} takes no options (got ${args.join(' ')})`);
    return 2;
  }
  await module.run(args);
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  dispatch(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
