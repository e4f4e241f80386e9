/**
 * The Content-Type `put` stores a file with, from its extension: what a browser or a reader of
 * the object needs to open it. A short table of the types this gateway's users store, rather than
 * a dependency the client package would have to carry; anything else is octet-stream.
 */
import path from 'node:path';
import { DEFAULT_CONTENT_TYPE } from '../protocol/contentTypes';

const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.xml': 'application/xml',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.pdf': 'application/pdf',
};

/** The type for a file or key name, by its extension (any case). */
export function contentTypeFor(name: string): string {
  return BY_EXTENSION[path.extname(name).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}
