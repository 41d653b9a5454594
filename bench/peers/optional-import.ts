/**
 * Loads a peer's client library when it is installed. The clients are optionalDependencies:
 * the bench must build and run without them, so they are imported by a name the compiler does
 * not resolve and described to it by the small local interfaces each peer system declares.
 */
export async function importOptional<Module>(packageName: string): Promise<Module | undefined> {
  try {
    return (await import(packageName)) as Module;
  } catch {
    return undefined;
  }
}
