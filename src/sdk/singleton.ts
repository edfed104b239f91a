/**
 * One instance per process (even when the package is loaded twice, as CJS and ESM), kept on `globalThis`
 * under `Symbol.for(key)`: created on first use and again after the last one was closed.
 */
export function processSingleton<T extends { readonly isClosed: boolean }>(key: string, create: () => T): T {
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  const symbol = Symbol.for(key);
  let instance = holder[symbol];
  if (instance === undefined || instance.isClosed) {
    instance = create();
    holder[symbol] = instance;
  }
  return instance;
}
