/**
 * Multipart uploads under way, remembered in this tab's sessionStorage so an upload cut by a
 * page reload can go on where it stopped: the session id and the file's name, size and date
 * (to know the same file when it is picked again). Nothing here is secret; it leaves with the tab.
 */
import type { StorageType } from '../../src/protocol/storageTypes';

const STORAGE_KEY = 'storage-console-uploads';

export interface PendingUpload {
  type: StorageType;
  key: string;
  uploadId: string;
  partSize: number;
  name: string;
  size: number;
  lastModified: number;
}

export function pendingUploads(): PendingUpload[] {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter(isPending) : [];
  } catch {
    return [];
  }
}

export function rememberUpload(upload: PendingUpload): void {
  write([...pendingUploads().filter((other) => !same(other, upload)), upload]);
}

export function forgetUpload(type: StorageType, key: string): void {
  write(pendingUploads().filter((other) => !same(other, { type, key })));
}

/** Whether `file` is the one an interrupted upload was sending. */
export function isSameFile(upload: PendingUpload, file: File): boolean {
  return upload.name === file.name && upload.size === file.size && upload.lastModified === file.lastModified;
}

function same(a: { type: string; key: string }, b: { type: string; key: string }): boolean {
  return a.type === b.type && a.key === b.key;
}

function write(uploads: PendingUpload[]): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(uploads));
  } catch {
    // Storage refused: uploads still run, they just cannot be resumed after a reload.
  }
}

function isPending(value: unknown): value is PendingUpload {
  const v = value as Partial<PendingUpload> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.type === 'string' &&
    typeof v.key === 'string' &&
    typeof v.uploadId === 'string' &&
    typeof v.partSize === 'number' &&
    typeof v.name === 'string' &&
    typeof v.size === 'number' &&
    typeof v.lastModified === 'number'
  );
}
