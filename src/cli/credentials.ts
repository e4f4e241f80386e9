/**
 * `storage credentials`: temporary S3 credentials for S3 tools, as shell exports (with what
 * they allow, as comments), as the JSON an AWS `credential_process` prints, or (--json) as the
 * gateway's answer.
 */
import type { S3Credentials } from '../client';
import { shellWord } from './messages';

/** `export NAME=value` lines for a POSIX shell (`eval "$(storage credentials)"`), values quoted where needed. */
export function credentialExports(c: S3Credentials): string[] {
  const variables: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
    ['AWS_SESSION_TOKEN', c.sessionToken],
    ['AWS_ENDPOINT_URL', c.endpoint],
    ['AWS_REGION', c.region],
    // The aws cli v1 (and older SDKs) read only this one.
    ['AWS_DEFAULT_REGION', c.region],
  ];
  return variables.map(([name, value]) => `export ${name}=${shellWord(value)}`);
}

/** The grants and the expiry as shell comments: what the exported keys may do, and until when. */
export function credentialComments(c: S3Credentials, now = Date.now()): string[] {
  const minutes = Math.max(0, Math.round((Date.parse(c.expiration) - now) / 60_000));
  const places = c.grants.map((grant) => `s3://${grant.bucket}/${grant.prefix}`);
  const typeWidth = Math.max(0, ...c.grants.map((grant) => grant.type.length));
  const placeWidth = Math.max(0, ...places.map((place) => place.length));
  const lines = [`# expires ${c.expiration} (in ${minutes} min); path-style addressing`];
  if (c.grants.length === 0) lines.push('# grants: none (this token may do nothing through S3)');
  c.grants.forEach((grant, index) => {
    lines.push(`# ${grant.type.padEnd(typeWidth)}  ${(places[index] ?? '').padEnd(placeWidth)}  ${grant.access.join(', ')}`);
  });
  const listable = c.grants.find((grant) => grant.access.includes('list'));
  if (listable) lines.push(`# try: aws s3 ls s3://${listable.bucket}/${listable.prefix}`);
  return lines;
}

/** What `storage credentials` prints for people: the exports, then the comments. */
export function credentialsText(c: S3Credentials, now = Date.now()): string {
  return `${[...credentialExports(c), ...credentialComments(c, now)].join('\n')}\n`;
}

/**
 * The JSON an AWS `credential_process` prints (Version 1), and nothing else: the SDKs and the
 * aws cli ask again shortly before `Expiration`.
 */
export function credentialProcessJson(c: S3Credentials): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: c.expiration,
  })}\n`;
}
