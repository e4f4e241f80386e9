/**
 * Where files are dropped or picked for uploading into the folder shown: files, or folders read
 * all the way down, each with its path inside what was dropped or picked.
 */
import { useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';

interface Props {
  target: { type: StorageType; prefix: string };
  onFiles: (files: (File | Dropped)[], to: { type: StorageType; prefix: string }) => void;
  onError: (error: unknown) => void;
}

export function DropZone({ target, onFiles, onError }: Props) {
  const [over, setOver] = useState(false);
  const add = (files: (File | Dropped)[]) => onFiles(files, target);
  return (
    <div
      class={`uploads${over ? ' over' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        // Entries are taken now: the drop's items are gone once this handler returns.
        const items = [...(event.dataTransfer?.items ?? [])].filter((item) => item.kind === 'file');
        const taken = items.map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
        const to = target;
        void Promise.all(
          taken.map(({ entry, file }) => (entry ? filesIn(entry, '') : Promise.resolve(file ? [{ file, path: file.name }] : []))),
        ).then(
          (found) => onFiles(found.flat(), to),
          (error: unknown) => onError(error),
        );
      }}
    >
      <p>
        Drop files here to upload them to <strong>{target.prefix || 'the top folder'}</strong>, or
      </p>
      <div class="actions">
        <label class="button">
          Choose files
          <input
            type="file"
            multiple
            class="sr-only"
            onChange={(event) => {
              add([...(event.currentTarget.files ?? [])]);
              event.currentTarget.value = '';
            }}
          />
        </label>
        <label class="button">
          Choose a folder
          <input
            type="file"
            multiple
            class="sr-only"
            // Preact sets no webkitdirectory property, so the attribute is set on the element itself.
            ref={(element) => element?.setAttribute('webkitdirectory', '')}
            onChange={(event) => {
              add([...(event.currentTarget.files ?? [])]);
              event.currentTarget.value = '';
            }}
          />
        </label>
      </div>
    </div>
  );
}

export interface Dropped {
  file: File;
  /** Where it was in what was dropped: `folder/sub/name`. */
  path: string;
}

/** The files of a dropped entry, a folder's read all the way down. */
async function filesIn(entry: FileSystemEntry, parent: string): Promise<Dropped[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ file, path: `${parent}${entry.name}` }];
  }
  if (!entry.isDirectory) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // A directory reader answers in batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map((child) => filesIn(child, `${parent}${entry.name}/`)))).flat();
}
