/**
 * Checks on the local files a command reads or writes, made before any request: a mistyped path
 * should fail at once, naming the path, not after a round trip or a minute of retries.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';

/** A local file could not be used; the CLI exits with EXIT.failure. */
export class LocalFileError extends Error {}

const IN_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

function cannot(action: string, file: string, error: unknown): LocalFileError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return new LocalFileError(`cannot ${action} ${file}: ${IN_WORDS[code] ?? (error as Error).message}`);
}

/** The file `put` uploads must be a file this process can read. */
export async function checkFileToUpload(file: string): Promise<void> {
  const found = await stat(file).catch((error: unknown) => {
    throw cannot('read', file, error);
  });
  if (found.isDirectory()) {
    throw new LocalFileError(`cannot upload ${file}: it is a directory; put uploads one file (put each file of it with its own key)`);
  }
  // Opening is the only sure test of permission (ACLs, root, read-only mounts all differ).
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw cannot('read', file, error);
  });
  await handle.close();
}

/** The file `get` writes must land in a directory that exists, and must not be one itself. */
export async function checkFileToWrite(file: string): Promise<void> {
  const directory = path.dirname(file);
  const parent = await stat(directory).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new LocalFileError(`cannot write ${file}: there is no directory ${directory}`);
    throw cannot('write', file, error);
  });
  if (!parent.isDirectory()) throw new LocalFileError(`cannot write ${file}: ${directory} is not a directory`);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw new LocalFileError(`cannot write ${file}: it is a directory; name a file to write`);
}
