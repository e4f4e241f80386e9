/**
 * Deleting the ticked keys of a folder together, after one confirmation: a few at a time,
 * with progress; keys that could not be deleted are named with the reason, and stay ticked.
 */
import { useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api } from './api';

interface Props {
  api: Api;
  type: StorageType;
  keys: string[];
  onDone: (deleted: string[]) => void;
  onClear: () => void;
  onError: (error: unknown) => void;
}

/** Deletes in flight at once. */
const PARALLEL = 4;
/** Keys named in the confirmation; the rest are counted. */
const NAMED = 5;

export function BulkDelete({ api, type, keys, onDone, onClear, onError }: Props) {
  const confirm = useRef<HTMLDialogElement>(null);
  const [progress, setProgress] = useState<number>();

  const run = async () => {
    confirm.current?.close();
    const deleted: string[] = [];
    const failures: { key: string; error: unknown }[] = [];
    const queue = [...keys];
    setProgress(0);
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        try {
          await api.remove(type, key);
          deleted.push(key);
        } catch (error) {
          failures.push({ key, error });
        }
        setProgress(deleted.length + failures.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, keys.length) }, worker));
    setProgress(undefined);
    onDone(deleted);
    const [first] = failures;
    if (first) {
      const reason = first.error instanceof Error ? first.error.message : String(first.error);
      onError(new Error(`${failures.length} of ${keys.length} could not be deleted (${first.key}: ${reason})`));
    }
  };

  return (
    <div class="bulk" role="group" aria-label="Selected keys">
      <span aria-live="polite">{progress === undefined ? `${keys.length} selected` : `Deleting: ${progress} of ${keys.length} done`}</span>
      <button type="button" class="danger" onClick={() => confirm.current?.showModal()} disabled={progress !== undefined}>
        Delete selected…
      </button>
      <button type="button" onClick={onClear} disabled={progress !== undefined}>
        Clear selection
      </button>
      <dialog ref={confirm} aria-labelledby="bulk-heading" class="confirm">
        <h2 id="bulk-heading">
          Delete {keys.length} {keys.length === 1 ? 'key' : 'keys'}?
        </h2>
        <ul class="fullkey">
          {keys.slice(0, NAMED).map((key) => (
            <li key={key}>{key}</li>
          ))}
          {keys.length > NAMED && <li>and {keys.length - NAMED} more</li>}
        </ul>
        <p>They will be deleted for good.</p>
        <div class="actions">
          <button type="button" onClick={() => confirm.current?.close()} autofocus>
            Cancel
          </button>
          <button type="button" class="danger" onClick={() => void run()}>
            Delete {keys.length}
          </button>
        </div>
      </dialog>
    </div>
  );
}
