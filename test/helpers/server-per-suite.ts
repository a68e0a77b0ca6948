import { afterAll, beforeAll } from 'vitest';

/** What the servers of test/servers/ share: each stops, and removes what it made, with destroy(). */
interface Destroyable {
  destroy(): Promise<void> | void;
}

/**
 * A server started before the tests of the file or `describe` this is called in, and destroyed
 * after them, however they end: the tests (and their hooks) get it from the function returned.
 */
export function serverPerSuite<S extends Destroyable>(start: () => Promise<S>): () => S {
  let server: S | undefined;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.destroy();
  });
  return () => {
    if (server === undefined) throw new Error('the server is read before its suite started it');
    return server;
  };
}
