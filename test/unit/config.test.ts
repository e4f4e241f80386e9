import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('defaults to embedded mode on loopback with the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      embeddedStore: true,
      localEngine: 'minio',
      localStorePort: 9000,
      bucketPrefix: 'storage',
      dataDir: path.resolve('.data'),
      signedUrlTtlSeconds: 3600,
      listPageSize: 1000,
      logLevel: 'info',
      s3: { region: 'us-east-1', credentials: undefined },
    });
  });

  it('reads CORS_ORIGINS as a list of exact origins, none by default', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    for (const bad of ['*', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://files.example.com', 'app.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS: must be a comma-separated list of origins/);
    }
  });

  it('reads an external store, with the public endpoint defaulting to it', () => {
    const config = loadConfig({
      S3_ENDPOINT: 'http://minio:9000/',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      AUTH_JWT_SECRET: 'x'.repeat(32),
    });
    expect(config.embeddedStore).toBe(false);
    expect(config.host).toBe('0.0.0.0');
    expect(config.s3).toEqual({
      endpoints: ['http://minio:9000'],
      publicEndpoints: ['http://minio:9000'],
      region: 'us-east-1',
      engine: 'minio',
      filerUrl: undefined,
      signingRoleArn: undefined,
      responseTimeoutMs: 10_000,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      forcePathStyle: true,
    });
  });

  it('takes a comma-separated list of endpoints, public ones paired in order or one for all', () => {
    const base = { S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret', AUTH_JWT_SECRET: 'x'.repeat(32) };
    const paired = loadConfig({
      ...base,
      S3_ENDPOINT: 'http://n1:9000, http://n2:9000/',
      S3_PUBLIC_ENDPOINT: 'https://a.example,https://b.example',
    });
    expect(paired.s3.endpoints).toEqual(['http://n1:9000', 'http://n2:9000']);
    expect(paired.s3.publicEndpoints).toEqual(['https://a.example', 'https://b.example']);
    const balanced = loadConfig({ ...base, S3_ENDPOINT: 'http://n1:9000,http://n2:9000', S3_PUBLIC_ENDPOINT: 'https://lb.example' });
    expect(balanced.s3.publicEndpoints).toEqual(['https://lb.example']);
    expect(loadConfig({ ...base, S3_ENDPOINT: 'http://n1:9000,http://n2:9000' }).s3.publicEndpoints).toEqual([
      'http://n1:9000',
      'http://n2:9000',
    ]);
    expect(() =>
      loadConfig({ ...base, S3_ENDPOINT: 'http://n1:9000,http://n2:9000', S3_PUBLIC_ENDPOINT: 'https://a,https://b,https://c' }),
    ).toThrow(/S3_PUBLIC_ENDPOINT: must be one URL, or one per/);
    expect(() => loadConfig({ ...base, S3_ENDPOINT: 'http://n1:9000,http://n1:9000' })).toThrow(/S3_ENDPOINT: must not list a URL twice/);
    expect(() => loadConfig({ ...base, S3_ENDPOINT: 'http://n1:9000,minio:9000' })).toThrow(/S3_ENDPOINT/);
  });

  it('asks for a token signer when an external store is configured (embedded mode makes its own)', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL: one is required/);
    expect(loadConfig({ S3_ENDPOINT: 'http://minio:9000', AUTH_JWKS_URL: 'https://idp.example/jwks.json' }).auth.jwksUrl).toBe(
      'https://idp.example/jwks.json',
    );
    expect(loadConfig({}).auth.jwtSecret).toBeUndefined();
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ S3_ENDPOINT: '', PORT: '' }).embeddedStore).toBe(true);
  });

  it('runs a local SeaweedFS with LOCAL_ENGINE=seaweedfs, whose engine it then is', () => {
    const config = loadConfig({ LOCAL_ENGINE: 'seaweedfs' });
    expect(config).toMatchObject({ embeddedStore: true, localEngine: 'seaweedfs', s3: { engine: 'seaweedfs' } });
    // S3_ENGINE describes an external store; in embedded mode the local engine decides.
    expect(loadConfig({ LOCAL_ENGINE: 'seaweedfs', S3_ENGINE: 'minio' }).s3.engine).toBe('seaweedfs');
  });

  it('takes a SeaweedFS filer only for a SeaweedFS store', () => {
    const base = {
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      S3_ENDPOINT: 'http://weed:8333',
    };
    const config = loadConfig({ ...base, S3_ENGINE: 'seaweedfs', SEAWEEDFS_FILER_URL: 'http://weed:8888/' });
    expect(config.s3).toMatchObject({ engine: 'seaweedfs', filerUrl: 'http://weed:8888', forcePathStyle: true });
    expect(() => loadConfig({ ...base, SEAWEEDFS_FILER_URL: 'http://weed:8888' })).toThrow(
      /SEAWEEDFS_FILER_URL: only used with S3_ENGINE=seaweedfs/,
    );
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_PUBLIC_ENDPOINT', 'ftp://x'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['STORAGE_BUCKET_PREFIX', 'Upper_Case'],
    ['STORAGE_BUCKET_PREFIX', 'x'.repeat(60)],
    ['AUTH_JWT_SECRET', 'short'],
    ['SIGNED_URL_TTL_SECONDS', String(7 * 24 * 3600 + 1)],
    ['SIGNED_URL_TTL_SECONDS', '0'],
    ['LIST_PAGE_SIZE', '1001'],
    ['LOCAL_ENGINE', 'garage'],
    ['S3_ENGINE', 'ceph'],
    ['SEAWEEDFS_FILER_URL', 'weed:8888'],
    ['LOG_LEVEL', 'loud'],
  ])('stops on a bad %s (%j) with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });

  it('wants both S3 keys or neither', () => {
    expect(() => loadConfig({ S3_ACCESS_KEY_ID: 'key' })).toThrow(/S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY/);
  });
});
