/** Where the tests' object store is: globalSetup writes these variables, every test file reads them. */
export interface TestStore {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** S3_ENGINE for gateways on this store (minio or seaweedfs). */
  engine: 'minio' | 'seaweedfs';
  /** SeaweedFS: its filer's HTTP address (SEAWEEDFS_FILER_URL for gateways), when known. */
  filerUrl?: string | undefined;
}

export const TEST_STORE_VARIABLES = {
  endpoint: 'TEST_S3_ENDPOINT',
  accessKeyId: 'TEST_S3_ACCESS_KEY_ID',
  secretAccessKey: 'TEST_S3_SECRET_ACCESS_KEY',
  region: 'TEST_S3_REGION',
  engine: 'TEST_S3_ENGINE',
  filerUrl: 'TEST_SEAWEEDFS_FILER_URL',
} as const;

export function testStore(): TestStore {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the tests with jest so globalSetup provides an object store`);
    return value;
  };
  const engine = read(TEST_STORE_VARIABLES.engine);
  if (engine !== 'minio' && engine !== 'seaweedfs')
    throw new Error(`${TEST_STORE_VARIABLES.engine} must be minio or seaweedfs, not ${engine}`);
  return {
    endpoint: read(TEST_STORE_VARIABLES.endpoint),
    accessKeyId: read(TEST_STORE_VARIABLES.accessKeyId),
    secretAccessKey: read(TEST_STORE_VARIABLES.secretAccessKey),
    region: read(TEST_STORE_VARIABLES.region),
    engine,
    filerUrl: process.env[TEST_STORE_VARIABLES.filerUrl] || undefined,
  };
}

/** The settings a gateway needs for the test store's engine (the filer, on SeaweedFS). */
export function engineSettings(store: TestStore = testStore()): Record<string, string> {
  return { S3_ENGINE: store.engine, ...(store.filerUrl && { SEAWEEDFS_FILER_URL: store.filerUrl }) };
}
