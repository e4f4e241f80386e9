/**
 * Bucket set-up, run at start-up: each bucket created if missing, and the gateway's lifecycle
 * rules put on it beside any rule an operator added. Safe to run at every start and from
 * several replicas at once. The caller times the exchange and translates its failures.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  type CORSRule,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { nameOf, statusOf } from './failures';

/** A rule this gateway keeps on a bucket; rules with other IDs belong to operators and are kept. */
export interface LifecycleRuleSpec {
  id: string;
  expireAfterDays?: number;
  abortIncompleteUploadsAfterDays?: number;
}

/**
 * A CORS rule this gateway keeps on a bucket, so browsers may use presigned URLs from a page
 * on another origin (the storage browser PUTs parts straight to the store and reads their
 * ETags). Rules with other IDs belong to operators and are kept.
 */
export interface CorsRuleSpec {
  id: string;
  methods: ('GET' | 'HEAD' | 'PUT')[];
  origins: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

export interface BucketReport {
  bucket: string;
  created: boolean;
  /** Rules written now (absent when the bucket already had them). */
  rulesWritten: string[];
  /** Rules the store refused (MinIO refuses AbortIncompleteMultipartUpload and cleans stale uploads itself). */
  rulesUnsupported: string[];
  /**
   * SeaweedFS: the expiry as a filer path TTL, which is what applies it there: `written` now,
   * `present` already, or `unconfigured` (no SEAWEEDFS_FILER_URL: the rule is stored, not applied).
   */
  filerTtl?: 'written' | 'present' | 'unconfigured';
  /**
   * The CORS rule: `written` now, `present` already, or `unsupported` where the store keeps
   * no bucket CORS rules (MinIO answers NotImplemented and applies its own API-wide CORS,
   * every origin by default) or refuses them (`corsRefusal` says how).
   */
  cors?: 'written' | 'present' | 'unsupported';
  corsRefusal?: string;
}

/** Creates the bucket if missing and writes our rules where one is missing or different. */
export async function prepareBucket(
  client: S3Client,
  bucket: string,
  rules: LifecycleRuleSpec[],
  cors?: CorsRuleSpec,
): Promise<BucketReport> {
  const report: BucketReport = { bucket, created: false, rulesWritten: [], rulesUnsupported: [] };
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      report.created = true;
    } catch (createError) {
      // Another gateway replica may have created it a moment ago.
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(nameOf(createError))) throw createError;
    }
  }

  if (cors) Object.assign(report, await ensureCorsRule(client, bucket, cors));
  return prepareLifecycle(client, bucket, rules, report);
}

async function prepareLifecycle(client: S3Client, bucket: string, rules: LifecycleRuleSpec[], report: BucketReport): Promise<BucketReport> {
  const existing = await lifecycleRules(client, bucket);
  const wanted = rules.map(toLifecycleRule);
  const missing = wanted.filter((rule) => !existing.some((have) => sameRule(have, rule)));
  if (missing.length === 0) return report;
  const ours = new Set(rules.map((r) => r.id));
  const kept = existing.filter((rule) => !ours.has(rule.ID ?? ''));
  try {
    await putLifecycleRules(client, bucket, [...kept, ...wanted]);
    report.rulesWritten = missing.map((r) => r.ID ?? '');
  } catch (error) {
    // MinIO refuses AbortIncompleteMultipartUpload by design (it expires stale uploads
    // itself); apply the rest rather than fail start-up on an optional rule.
    const abortRules = wanted.filter((r) => r.AbortIncompleteMultipartUpload);
    if (statusOf(error) !== 400 || abortRules.length === 0) throw error;
    const rest = wanted.filter((r) => !r.AbortIncompleteMultipartUpload);
    report.rulesUnsupported = abortRules.map((r) => r.ID ?? '');
    const restMissing = rest.filter((rule) => !existing.some((have) => sameRule(have, rule)));
    if (restMissing.length === 0) return report;
    await putLifecycleRules(client, bucket, [...kept, ...rest]);
    report.rulesWritten = restMissing.map((r) => r.ID ?? '');
  }
  return report;
}

/**
 * Puts our CORS rule beside the operator's, when missing or different. The rule is optional
 * (the API works without it; only browser uploads need it): a store that does not keep such
 * rules or refuses them is reported, not a reason to stop. A store that does not answer is.
 */
export async function ensureCorsRule(
  client: S3Client,
  bucket: string,
  spec: CorsRuleSpec,
): Promise<Pick<BucketReport, 'cors' | 'corsRefusal'>> {
  const wanted: CORSRule = {
    ID: spec.id,
    AllowedMethods: spec.methods,
    AllowedOrigins: spec.origins,
    AllowedHeaders: ['*'],
    ExposeHeaders: spec.exposeHeaders,
    MaxAgeSeconds: spec.maxAgeSeconds,
  };
  try {
    const existing = await corsRules(client, bucket);
    if (existing.some((have) => sameCorsRule(have, wanted))) return { cors: 'present' };
    const kept = existing.filter((rule) => rule.ID !== spec.id);
    await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [...kept, wanted] } }));
    return { cors: 'written' };
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || status === 503) throw error;
    return { cors: 'unsupported', corsRefusal: `${nameOf(error) || 'HTTP'} ${status}` };
  }
}

async function corsRules(client: S3Client, bucket: string): Promise<CORSRule[]> {
  try {
    return (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
  } catch (error) {
    if (nameOf(error) === 'NoSuchCORSConfiguration') return [];
    throw error;
  }
}

function sameCorsRule(have: CORSRule, want: CORSRule): boolean {
  const same = (a: string[] | undefined, b: string[] | undefined) => [...(a ?? [])].sort().join('\n') === [...(b ?? [])].sort().join('\n');
  return (
    have.ID === want.ID &&
    same(have.AllowedMethods, want.AllowedMethods) &&
    same(have.AllowedOrigins, want.AllowedOrigins) &&
    same(have.AllowedHeaders, want.AllowedHeaders) &&
    same(have.ExposeHeaders, want.ExposeHeaders) &&
    have.MaxAgeSeconds === want.MaxAgeSeconds
  );
}

async function lifecycleRules(client: S3Client, bucket: string): Promise<LifecycleRule[]> {
  try {
    const answer = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return answer.Rules ?? [];
  } catch (error) {
    if (nameOf(error) === 'NoSuchLifecycleConfiguration') return [];
    throw error;
  }
}

async function putLifecycleRules(client: S3Client, bucket: string, rules: LifecycleRule[]): Promise<void> {
  await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
}

function toLifecycleRule(spec: LifecycleRuleSpec): LifecycleRule {
  return {
    ID: spec.id,
    Status: 'Enabled',
    Filter: { Prefix: '' },
    ...(spec.expireAfterDays !== undefined && { Expiration: { Days: spec.expireAfterDays } }),
    ...(spec.abortIncompleteUploadsAfterDays !== undefined && {
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: spec.abortIncompleteUploadsAfterDays },
    }),
  };
}

function sameRule(have: LifecycleRule, want: LifecycleRule): boolean {
  return (
    have.ID === want.ID &&
    have.Status === want.Status &&
    (have.Filter?.Prefix ?? have.Prefix ?? '') === (want.Filter?.Prefix ?? '') &&
    have.Expiration?.Days === want.Expiration?.Days &&
    have.AbortIncompleteMultipartUpload?.DaysAfterInitiation === want.AbortIncompleteMultipartUpload?.DaysAfterInitiation
  );
}
