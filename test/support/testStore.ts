/** Where the tests' object store is: globalSetup writes these variables, every test file reads them. */
export interface TestStore {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** S3_ENGINE for gateways on this store (minio or seaweedfs). */
  engine: string;
}

export const TEST_STORE_VARIABLES = {
  endpoint: 'TEST_S3_ENDPOINT',
  accessKeyId: 'TEST_S3_ACCESS_KEY_ID',
  secretAccessKey: 'TEST_S3_SECRET_ACCESS_KEY',
  region: 'TEST_S3_REGION',
  engine: 'TEST_S3_ENGINE',
} as const;

export function testStore(): TestStore {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the tests with jest so globalSetup provides an object store`);
    return value;
  };
  return {
    endpoint: read(TEST_STORE_VARIABLES.endpoint),
    accessKeyId: read(TEST_STORE_VARIABLES.accessKeyId),
    secretAccessKey: read(TEST_STORE_VARIABLES.secretAccessKey),
    region: read(TEST_STORE_VARIABLES.region),
    engine: read(TEST_STORE_VARIABLES.engine),
  };
}
