export default async function globalTeardown(): Promise<void> {
  await globalThis.__STOP_TEST_STORE__?.();
}
