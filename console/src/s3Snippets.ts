/**
 * Ready-to-copy snippets for S3 tools from temporary credentials (POST /credentials): the aws
 * cli, rclone and GDAL, each pointed at one place (a grant's bucket and prefix, and the folder
 * shown). Pure text, so it is tested without a browser (test/unit/consoleS3Snippets.test.ts).
 */
import type { AnswerOf } from '../../src/protocol/answers';

export type S3Credentials = AnswerOf<'credentials'>;
export type S3Grant = S3Credentials['grants'][number];

/** A word safe in a POSIX shell as it is, or else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `bucket/prefix` of a grant and a folder inside it (the folder as the console shows it: relative, ending in `/` or empty). */
export function placeOf(grant: S3Grant, folder: string): string {
  return `${grant.bucket}/${grant.prefix}${folder}`;
}

function exports(c: S3Credentials, variables: [string, string][]): string {
  return variables.map(([name, value]) => `export ${name}=${shellQuote(value)}`).join('\n');
}

export function awsSnippet(c: S3Credentials, grant: S3Grant, folder: string): string {
  const keys = exports(c, [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
    ['AWS_SESSION_TOKEN', c.sessionToken],
    ['AWS_REGION', c.region],
    ['AWS_DEFAULT_REGION', c.region],
  ]);
  return `${keys}\naws s3 ls ${shellQuote(`s3://${placeOf(grant, folder)}`)} --endpoint-url ${shellQuote(c.endpoint)}\n`;
}

export function rcloneSnippet(c: S3Credentials, grant: S3Grant, folder: string): string {
  return [
    '# in rclone.conf (rclone config file shows where it is)',
    '[storage]',
    'type = s3',
    'provider = Other',
    `access_key_id = ${c.accessKeyId}`,
    `secret_access_key = ${c.secretAccessKey}`,
    `session_token = ${c.sessionToken}`,
    `endpoint = ${c.endpoint}`,
    `region = ${c.region}`,
    'force_path_style = true',
    '# the keys cannot create buckets: do not try before uploads',
    'no_check_bucket = true',
    '',
    '# then',
    `rclone ls ${shellQuote(`storage:${placeOf(grant, folder)}`)}`,
    '',
  ].join('\n');
}

export function gdalSnippet(c: S3Credentials, grant: S3Grant, folder: string): string {
  const endpoint = new URL(c.endpoint);
  const keys = exports(c, [
    ['AWS_S3_ENDPOINT', endpoint.host],
    ...(endpoint.protocol === 'http:' ? ([['AWS_HTTPS', 'NO']] as [string, string][]) : []),
    ['AWS_VIRTUAL_HOSTING', 'FALSE'],
    ['AWS_REGION', c.region],
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
    ['AWS_SESSION_TOKEN', c.sessionToken],
  ]);
  return `${keys}\ngdalinfo ${shellQuote(`/vsis3/${placeOf(grant, folder)}file.tif`)}\n`;
}
