/**
 * The rules behind quotas and scoped credentials, without a store: the three limit variables
 * as configuration, the usage ledger's holds on the in-memory store (its conditional writes
 * behave as S3's), the grants a caller's credentials get, and the session policy they become.
 */
import { ConfigError, loadConfig } from '../../src/config';
import { QuotaExceeded } from '../../src/errors';
import { S3CredentialsIssuer } from '../../src/storage/s3Credentials';
import { StorageService } from '../../src/storage/service';
import { Usage } from '../../src/storage/usage';
import { sessionPolicyFor } from '../../src/store/credentialPolicy';
import { MemoryStore } from '../support/memoryStore';

const KiB = 1024;

describe('limit variables', () => {
  it('read type=value lists, sizes with binary units, media types with wildcards', () => {
    const { limits } = loadConfig({
      QUOTA_BYTES: 'data=10GiB, tmp=512 MiB,logs=1000',
      MAX_UPLOAD_BYTES: 'tmp=5GiB',
      UPLOAD_CONTENT_TYPES: 'products=image/tiff|image/*|Application/Geo+JSON',
    });
    expect(limits.quotaBytes).toEqual({ data: 10 * 1024 ** 3, tmp: 512 * 1024 ** 2, logs: 1000 });
    expect(limits.maxUploadBytes).toEqual({ tmp: 5 * 1024 ** 3 });
    expect(limits.contentTypes).toEqual({ products: ['image/tiff', 'image/*', 'application/geo+json'] });
    expect(limits.holdSeconds).toBe(120);
  });

  it.each([
    ['QUOTA_BYTES', 'data'],
    ['QUOTA_BYTES', 'nope=1GiB'],
    ['QUOTA_BYTES', 'data=1GB'],
    ['QUOTA_BYTES', 'data=1GiB,data=2GiB'],
    ['MAX_UPLOAD_BYTES', 'tmp=0'],
    ['UPLOAD_CONTENT_TYPES', 'products=tiff'],
  ])('refuse %s=%s at start-up, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('the usage ledger', () => {
  const limits = { quotaBytes: { tmp: 100 * KiB }, maxUploadBytes: {}, contentTypes: {}, holdSeconds: 120 };
  const newUsage = async (store = new MemoryStore()) => {
    await store.ensureBucket('p-data', []);
    return new Usage(store, 'p-data', (type) => `p-${type}`, limits);
  };

  it('holds what fits, refuses what does not, and frees a released hold', async () => {
    const usage = await newUsage();
    const first = await usage.hold('ns', 'tmp', { bytes: 60 * KiB, key: 'ns/a', prev: undefined });
    await expect(usage.hold('ns', 'tmp', { bytes: 50 * KiB, key: 'ns/b', prev: undefined })).rejects.toThrow(QuotaExceeded);
    usage.release('ns', [first.id]);
    await usage.hold('ns', 'tmp', { bytes: 50 * KiB, key: 'ns/b', prev: undefined });
    // The released bytes stay with this process's lease, spare, until it has been idle a second.
    expect((await usage.usage('ns')).types.tmp).toMatchObject({ reservedBytes: 60 * KiB, bytes: 0, quotaBytes: 100 * KiB });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await usage.usage('ns')).types.tmp).toMatchObject({ reservedBytes: 50 * KiB, bytes: 0 });
    await usage.close();
  });

  it('grants a partial hold what is left, and counts settled changes', async () => {
    const usage = await newUsage();
    const hold = await usage.hold('ns', 'tmp', { bytes: 30 * KiB, key: 'ns/a', prev: undefined });
    usage.settle('ns', 'tmp', { bytes: 30 * KiB, objects: 1 }, [hold.id]);
    expect(await usage.hold('ns', 'tmp', { bytes: 500 * KiB, key: 'ns/b', prev: undefined, partial: true })).toMatchObject({
      bytes: 70 * KiB,
    });
    expect((await usage.hold('ns', 'tmp', { bytes: KiB, key: 'ns/c', prev: undefined, partial: true })).bytes).toBe(0);
    expect((await usage.usage('ns')).types.tmp).toMatchObject({ bytes: 30 * KiB, objects: 1, reservedBytes: 70 * KiB });
    await usage.close();
  });

  it('draws writes on a lease where the quota has ample room: one record write for many', async () => {
    const store = new MemoryStore();
    await store.ensureBucket('p-data', []);
    const usage = new Usage(store, 'p-data', (type) => `p-${type}`, { ...limits, quotaBytes: { tmp: 1024 ** 3 } });
    for (let i = 0; i < 50; i++) {
      const hold = await usage.hold('ns', 'tmp', { bytes: KiB, key: `ns/${i}`, prev: undefined });
      usage.settle('ns', 'tmp', { bytes: KiB, objects: 1 }, [hold.id]);
    }
    const writes = store.calls.filter((call) => call.startsWith('put p-data/.storage-gateway/usage/ns'));
    expect(writes.length).toBeLessThanOrEqual(2);
    expect((await usage.usage('ns')).types.tmp).toMatchObject({ bytes: 50 * KiB, objects: 50 });
    await usage.close();
    // Closed: the lease's spare is given back.
    expect((await usage.usage('ns')).types.tmp).toMatchObject({ bytes: 50 * KiB, reservedBytes: 0 });
  });

  it('answers the limits of a namespace it has read from the record it has while a new read hangs', async () => {
    // On a MinIO cluster a frozen and thawed node has left reads of the usage record hanging:
    // a write to a type without a quota must not wait on it.
    class HangingRecordStore extends MemoryStore {
      hang = false;
      hangingReads = 0;
      override get(...args: Parameters<MemoryStore['get']>): ReturnType<MemoryStore['get']> {
        if (this.hang && args[1].startsWith('.storage-gateway/usage/')) {
          this.hangingReads++;
          return new Promise(() => undefined);
        }
        return super.get(...args);
      }
    }
    const store = new HangingRecordStore();
    const usage = await newUsage(store);
    expect((await usage.limitsOf('ns', 'data')).quotaBytes).toBeUndefined();
    store.hang = true;
    const later = Date.now() + 60_000;
    const now = jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      const limits = await Promise.race([
        Promise.all([usage.limitsOf('ns', 'data'), usage.limitsOf('ns', 'tmp')]),
        new Promise((resolve) => setTimeout(() => resolve('waited'), 1_000)),
      ]);
      expect(limits).toEqual([expect.objectContaining({ quotaBytes: undefined }), expect.objectContaining({ quotaBytes: 100 * KiB })]);
      // One read of the record under way, shared: not one per write.
      expect(store.hangingReads).toBe(1);
    } finally {
      now.mockRestore();
    }
  });

  it('lets concurrent holds of one namespace share record writes, and never pass the quota', async () => {
    const store = new MemoryStore();
    const usage = await newUsage(store);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => usage.hold('ns', 'tmp', { bytes: 10 * KiB, key: `ns/${i}`, prev: undefined })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const writes = store.calls.filter((call) => call.startsWith('put p-data/.storage-gateway/usage/ns'));
    expect(writes.length).toBeLessThan(10);
    await usage.close();
  });
});

describe('scoped credentials', () => {
  const service = (limits = {}) =>
    new StorageService(new MemoryStore(), {
      bucketPrefix: 'p',
      listPageSize: 1000,
      signedUrlTtlSeconds: 3600,
      signedUrlMaxTtlSeconds: 7200,
      copySourceBuckets: [],
      inlineContentTypes: [],
      maxUploadSessions: { perKey: 8, perCaller: 100 },
      limits: { quotaBytes: {}, maxUploadBytes: {}, contentTypes: {}, holdSeconds: 120, ...limits },
    });
  const owner = { subject: 'u', namespace: 'n'.repeat(40), actors: ['owner'] as const };

  it('grant the owner what raw S3 can enforce: no write on products, nor where limits apply', async () => {
    const grants = await service({ maxUploadBytes: { data: 10 } }).s3Credentials.grantsFor(owner);
    expect(grants.map((g) => [g.type, g.access])).toEqual([
      ['data', ['read', 'list', 'delete']],
      ['tmp', ['read', 'list', 'write', 'delete']],
      ['products', ['list']],
      ['result', ['read', 'list', 'delete']],
      ['logs', ['read', 'list', 'delete']],
    ]);
  });

  it('never outlive the token, and keep the same ones until half their life has passed', async () => {
    const storage = service();
    const soon = { ...owner, tokenExpiresAt: new Date(Date.now() + 1000_000) };
    const first = await storage.s3Credentials.issue(soon, undefined);
    expect(Date.parse(first.expiration)).toBeLessThanOrEqual(soon.tokenExpiresAt.getTime());
    expect((await storage.s3Credentials.issue(soon, undefined)).accessKeyId).toBe(first.accessKeyId);
    await expect(storage.s3Credentials.issue({ ...owner, tokenExpiresAt: new Date(Date.now() + 600_000) }, undefined)).rejects.toThrow(
      /token expires/,
    );
    expect(S3CredentialsIssuer.name).toBe('S3CredentialsIssuer');
  });

  it('become a session policy under 2,048 characters that names only the prefix', () => {
    const ns = 'a'.repeat(40);
    const grant = (type: string, access: ('read' | 'list' | 'write' | 'delete')[]) => ({
      bucket: `storage-gateway-prefix-${type}`,
      prefix: `${ns}/`,
      access,
    });
    const policy = sessionPolicyFor([
      grant('data', ['read', 'list', 'write', 'delete']),
      grant('tmp', ['read', 'list', 'write', 'delete']),
      grant('products', ['list']),
      grant('result', ['read', 'list', 'delete']),
      grant('logs', ['read', 'list', 'delete']),
    ]);
    expect(policy.length).toBeLessThan(2048);
    const parsed = JSON.parse(policy) as { Statement: { Action: string[]; Resource: string[]; Condition?: unknown }[] };
    for (const statement of parsed.Statement) {
      for (const resource of statement.Resource) {
        if (statement.Action.includes('s3:ListBucket') || statement.Action.includes('s3:GetBucketLocation')) {
          expect(resource).toMatch(/^arn:aws:s3:::storage-gateway-prefix-[a-z]+$/);
        } else expect(resource).toMatch(new RegExp(`^arn:aws:s3:::storage-gateway-prefix-[a-z]+/${ns}/\\*$`));
      }
    }
    const listing = parsed.Statement.find((s) => s.Action.includes('s3:ListBucket'));
    expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': [`${ns}/*`] } });
    expect(policy).not.toMatch(/ListBucketMultipartUploads|ListAllMyBuckets|\*"\]\}?$/);
  });
});
