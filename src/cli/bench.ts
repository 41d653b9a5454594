/**
 * `mamba bench <suite> [options]`: the benchmark suites of bench/, run from the installed
 * command. The dispatcher is loaded at run time (dist/bench/main.js) so that the CLI does not
 * pull the bench and its optional peer clients into every other command.
 */
export async function benchCommand(args: readonly string[]): Promise<number> {
  const dispatcherPath = '../../bench/main.js';
  const { dispatch } = (await import(dispatcherPath)) as {
    dispatch(argv: readonly string[]): Promise<number>;
  };
  return dispatch(args);
}
