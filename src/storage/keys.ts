/**
 * Key rules. A key arrives percent-decoded once (the original client does not escape keys,
 * so `%2F` and `/` mean the same) and is stored at `<namespace>/<key>`. The rules keep every
 * key inside its namespace and valid on any S3 engine.
 */
import { InvalidKey } from '../errors';

/** S3's limit for a whole object key, in UTF-8 bytes. */
const S3_MAX_KEY_BYTES = 1024;
/**
 * The namespace (40 hex characters) and its `/` come first, so a caller's key may use the rest.
 * Stated as its own constant so the README and the error message agree with the code.
 */
export const MAX_KEY_BYTES = S3_MAX_KEY_BYTES - 41;
/**
 * MinIO stores each `/`-separated segment as a directory name, which file systems cap at 255
 * bytes. Enforcing it everywhere keeps a key that works on S3 working on MinIO too.
 */
export const MAX_SEGMENT_BYTES = 255;
/**
 * The most `/`-separated segments a key may have when it is written. A write first asks the
 * store whether any parent path is an object (the file/folder rule, StorageService), one
 * question per parent: without a bound, one deep key costs hundreds of store calls. Keys
 * already stored deeper (by an older gateway) can still be read, listed and deleted.
 */
export const MAX_KEY_DEPTH = 32;
/**
 * Segment names MinIO gives a meaning of its own on disk: `name__XLDIR__` is how it stores the
 * folder object `name/` (a key ending so would list back as a folder, and page through a
 * listing wrongly), and `xl.meta` is the file holding each object's metadata. Refused on every
 * engine, so a key valid on one is valid on all.
 */
const RESERVED_SEGMENT = /(^xl\.meta$|__XLDIR__$)/;

// C0 controls, DEL and C1 controls: invisible in listings and unsafe in headers and logs.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns the key unchanged when it is acceptable; throws InvalidKey with the reason otherwise. */
export function validateKey(key: string): string {
  if (key.length === 0) throw new InvalidKey('The key is empty');
  checkText(key, 'key');
  if (key.includes('\\')) {
    throw new InvalidKey('The key contains a backslash; use / to separate parts of a key');
  }
  if (key.startsWith('/')) throw new InvalidKey('The key must not start with /');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidKey('The key has an empty segment (// or a trailing /)');
    // MinIO reads ` .. ` as `..`: trimmed here too, so the answer is the same on every engine.
    const bare = segment.trim();
    if (bare === '.' || bare === '..') {
      throw new InvalidKey("The key has a '.' or '..' segment");
    }
    if (RESERVED_SEGMENT.test(segment)) {
      throw new InvalidKey(`The key has a segment the object store reserves ('xl.meta', or ending in '__XLDIR__')`);
    }
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw new InvalidKey(`Each /-separated part of a key may be at most ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  return key;
}

/** A key about to be written: the key rules, and at most MAX_KEY_DEPTH segments. */
export function validateNewKey(key: string): string {
  validateKey(key);
  let depth = 1;
  for (let at = key.indexOf('/'); at !== -1; at = key.indexOf('/', at + 1)) depth++;
  if (depth > MAX_KEY_DEPTH) {
    throw new InvalidKey(`The key has ${depth} /-separated parts; at most ${MAX_KEY_DEPTH} are allowed for a new key`, 'key_depth');
  }
  return key;
}

/**
 * A list prefix is matched literally by S3 after the namespace, so `..` cannot walk out of
 * it; a prefix may be empty, partial (`rep` for `reports/...`) or end with `/`. It still may
 * not hide control characters or exceed the key length.
 */
export function validatePrefix(prefix: string): string {
  checkText(prefix, 'prefix');
  return prefix;
}

/**
 * A key in a bucket outside the gateway (a copy source). It is not placed in a namespace, so
 * the length rule for our keys does not apply; it must still be a plain path: no empty, `.`
 * or `..` segment and no backslash, which S3 engines that store keys as files refuse or resolve.
 */
export function validateSourceKey(key: string): string {
  if (key === '') throw new InvalidKey('The source key is empty');
  checkText(key, 'key');
  if (key.includes('\\')) throw new InvalidKey('The source key contains a backslash');
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new InvalidKey("The source key has an empty, '.' or '..' segment");
  }
  return key;
}

function checkText(value: string, what: 'key' | 'prefix'): void {
  if (CONTROL_CHARACTERS.test(value)) throw new InvalidKey(`The ${what} contains a control character`);
  if (!value.isWellFormed()) throw new InvalidKey(`The ${what} is not valid UTF-8`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKey(`The ${what} is ${bytes} bytes long; at most ${MAX_KEY_BYTES} bytes are allowed`);
  }
}
