/**
 * The identities presigned URLs are signed with: temporary, least-privilege, never the
 * gateway's own.
 *
 * A presigned URL carries the rights of whoever signed it, and the store honours headers the
 * holder adds (x-amz-copy-source turns a PUT into a copy). So each kind of URL is signed by
 * its own temporary identity, assumed through the store's STS with a session policy:
 *   - upload:   s3:PutObject on the gateway's buckets, nothing else (no read of any object,
 *               so a copy-source header is refused; no tagging, ACL, retention or listing);
 *   - download: s3:GetObject on the gateway's buckets, nothing else.
 * This file keeps those sessions: the STS client, the session policies, AssumeRole, and the
 * renewal that keeps each session outliving any URL signed with it. Signing itself is
 * urlSigner.ts's.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '../config';
import { sessionPolicyFor, type ScopedGrant } from './credentialPolicy';
import { routeByHealth, type StoreEndpoints } from './endpoints';

export type UrlPurpose = 'upload' | 'download';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** MinIO accepts 15 minutes to a year; AWS a role's session length (12 h at most). */
const MINIO_SESSION_SECONDS = 365 * 24 * 3600;
const AWS_SESSION_SECONDS = 12 * 3600;

/** One temporary identity per URL purpose, from the store's STS. */
export class SigningCredentials {
  private readonly sts: STSClient;
  private readonly scoped: Record<UrlPurpose, ScopedCredentials>;
  private readonly roleArn: string | undefined;

  constructor(
    settings: S3Settings,
    endpoints: StoreEndpoints,
    buckets: readonly string[],
    /** The longest URL lifetime: credentials are renewed while they still outlive it. */
    maxUrlTtlSeconds: number,
  ) {
    // MinIO serves STS on its S3 endpoints; AWS has its own regional STS endpoint.
    const stsOnStore = settings.engine !== 'aws' && settings.endpoints.length > 0;
    this.sts = new STSClient({
      region: settings.region,
      credentials: settings.credentials,
      ...(stsOnStore && { endpoint: settings.endpoints[0] }),
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, socketTimeout: settings.responseTimeoutMs }),
    });
    if (stsOnStore) routeByHealth(this.sts, endpoints);
    const session = settings.engine === 'aws' ? AWS_SESSION_SECONDS : Math.min(MINIO_SESSION_SECONDS, 2 * maxUrlTtlSeconds + 3600);
    // MinIO ignores the role, and SeaweedFS wants none for a session of the caller's own (a
    // named role there needs a trust policy): the session policy alone narrows the rights.
    const roleArn =
      settings.signingRoleArn ?? (settings.engine === 'minio' ? 'arn:aws:iam::000000000000:role/storage-gateway-url-signing' : undefined);
    this.roleArn = roleArn;
    const resources = buckets.map((bucket) => `arn:aws:s3:::${bucket}/*`);
    const scoped = (purpose: UrlPurpose, action: string) =>
      new ScopedCredentials(this.sts, purpose, sessionPolicy(action, resources), roleArn, session, maxUrlTtlSeconds + 300);
    this.scoped = { upload: scoped('upload', 's3:PutObject'), download: scoped('download', 's3:GetObject') };
  }

  /** The purpose's credentials, renewed first if a URL signed now could outlive them. */
  get(purpose: UrlPurpose): Promise<TemporaryCredentials> {
    return this.scoped[purpose].get();
  }

  /**
   * Temporary credentials for a caller, with exactly `grants` (credentialPolicy.ts) for
   * `seconds`: a session of the gateway's identity narrowed by that session policy.
   */
  async issueScoped(grants: readonly ScopedGrant[], seconds: number, sessionName: string): Promise<TemporaryCredentials> {
    const answer = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: this.roleArn,
        RoleSessionName: sessionName,
        Policy: sessionPolicyFor(grants),
        DurationSeconds: seconds,
      }),
    );
    return credentialsOf(answer.Credentials);
  }

  /** Obtains both identities now, so a store without STS or a missing role fails at start-up. */
  async prepare(): Promise<void> {
    await Promise.all([this.scoped.upload.get(), this.scoped.download.get()]);
  }

  close(): void {
    this.sts.destroy();
  }
}

/** Temporary credentials for one purpose, renewed before they could cut a URL short. */
class ScopedCredentials {
  private current: TemporaryCredentials | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly sts: STSClient,
    private readonly purpose: UrlPurpose,
    private readonly policy: string,
    private readonly roleArn: string | undefined,
    private readonly sessionSeconds: number,
    /** Renew when less than this is left: a URL signed now must not outlive its credentials. */
    private readonly minRemainingSeconds: number,
  ) {}

  async get(): Promise<TemporaryCredentials> {
    if (!this.current || this.current.expiration.getTime() - Date.now() < this.minRemainingSeconds * 1000) {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      await this.renewing;
    }
    return this.current as TemporaryCredentials;
  }

  private async renew(): Promise<void> {
    try {
      const answer = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: this.roleArn,
          RoleSessionName: `storage-gateway-${this.purpose}`,
          Policy: this.policy,
          DurationSeconds: this.sessionSeconds,
        }),
      );
      this.current = credentialsOf(answer.Credentials);
    } catch (error) {
      throw new SigningCredentialsRefused(this.purpose, error);
    }
  }
}

/** The store's STS would not issue URL-signing credentials (no STS, no role, or no right to assume it). */
export class SigningCredentialsRefused extends Error {
  override name = 'SigningCredentialsRefused';
  constructor(
    readonly purpose: UrlPurpose,
    override readonly cause: unknown,
  ) {
    super(`The store's STS refused ${purpose}-URL credentials: ${(cause as Error)?.message ?? String(cause)}`);
  }

  /** The STS answered (and said no), as opposed to not answering at all: retrying will not help. */
  get answered(): boolean {
    return (this.cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode !== undefined;
  }
}

function credentialsOf(
  c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined,
): TemporaryCredentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('the STS answer carried no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}

function sessionPolicy(action: string, resources: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [action], Resource: resources }] });
}
