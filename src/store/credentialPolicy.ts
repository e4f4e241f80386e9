/**
 * The session policy of the temporary S3 credentials a caller is given: each grant (a bucket,
 * the caller's namespace prefix in it, and what it may do there) becomes statements that raw
 * S3 enforces by itself. Nothing outside the prefix is reachable: objects by their ARN under
 * it, listings by the `s3:prefix` condition (the bucket's root, or another namespace's prefix,
 * is AccessDenied).
 */
import type { S3Access } from '../protocol/answers';

export interface ScopedGrant {
  bucket: string;
  /** Ends with `/`: the caller's namespace. */
  prefix: string;
  access: readonly S3Access[];
}

/** The S3 actions behind each kind of access, on the objects under the prefix. */
const OBJECT_ACTIONS: Record<Exclude<S3Access, 'list'>, string[]> = {
  // Ranged reads, HEAD and GET alike.
  read: ['s3:GetObject'],
  // One PUT, or a multipart upload of the caller's own (aws cli, rclone and boto3 use them above a few MiB).
  write: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  delete: ['s3:DeleteObject'],
};

/**
 * One statement per action, naming every resource it applies to: stores cap a session policy
 * (2,048 characters on MinIO and AWS), and five grants written one by one pass it.
 */
export function sessionPolicyFor(grants: readonly ScopedGrant[]): string {
  const onObjects = new Map<string, string[]>();
  const listed: string[] = [];
  const prefixes = new Set<string>();
  for (const grant of grants) {
    for (const access of grant.access) {
      if (access === 'list') {
        // Only ListBucket: the listing of a bucket's multipart uploads takes no prefix
        // condition (MinIO refuses one), and unconditioned it would name every namespace's keys.
        listed.push(`arn:aws:s3:::${grant.bucket}`);
        prefixes.add(`${grant.prefix}*`);
        continue;
      }
      for (const action of OBJECT_ACTIONS[access]) {
        onObjects.set(action, [...(onObjects.get(action) ?? []), `arn:aws:s3:::${grant.bucket}/${grant.prefix}*`]);
      }
    }
  }
  // Actions on the same resources share a statement.
  const byResources = new Map<string, string[]>();
  for (const [action, resources] of onObjects)
    byResources.set(resources.join(' '), [...(byResources.get(resources.join(' ')) ?? []), action]);
  const statements: object[] = [...byResources].map(([resources, actions]) => ({
    Effect: 'Allow',
    Action: actions,
    Resource: resources.split(' '),
  }));
  if (listed.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: listed,
      Condition: { StringLike: { 's3:prefix': [...prefixes] } },
    });
  }
  // Tools ask where a bucket is before anything else; it tells nothing of its objects.
  statements.push({ Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: grants.map((g) => `arn:aws:s3:::${g.bucket}`) });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
