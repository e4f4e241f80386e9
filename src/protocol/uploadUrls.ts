/**
 * What an uploader must send with a presigned upload URL beyond its bytes, read from the URL
 * itself: the gateway signs `If-None-Match: *` into URLs that may only create (products), so
 * the store refuses to replace what is there, and a PUT without it breaks the signature.
 * Shared by the client, the console and the server: imports nothing.
 */
export function requiredUploadHeaders(url: string): Record<string, string> {
  const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];
  return signed.includes('if-none-match') ? { 'if-none-match': '*' } : {};
}
