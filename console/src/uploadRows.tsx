/**
 * The uploads of this page, a row each: its state, its progress, Cancel while it runs, and once
 * it is finished (uploaded, failed or cancelled) Dismiss, so the list keeps only what still
 * matters. Dismissing forgets a row; it never touches what was stored.
 */
import type { StorageType } from '../../src/protocol/storageTypes';
import { formatSize } from './format';
import type { PendingUpload } from './pending';

export interface Job {
  id: number;
  type: StorageType;
  key: string;
  file: File;
  sent: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';
  message?: string;
  controller: AbortController;
  /** The session an earlier page was sending this file in. */
  resume?: PendingUpload | undefined;
}

const finished = (job: Job) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

export function UploadRows({ jobs, onDismiss }: { jobs: Job[]; onDismiss: (ids: number[]) => void }) {
  if (jobs.length === 0) return null;
  const over = jobs.filter(finished);
  return (
    <>
      <ul aria-label="Upload progress">
        {jobs.map((job) => (
          <li key={job.id} class={job.state}>
            <span class="name">{job.key}</span>
            <span class="state" aria-live="polite">
              {describe(job)}
            </span>
            {(job.state === 'waiting' || job.state === 'uploading') && (
              <button type="button" onClick={() => job.controller.abort()} aria-label={`Cancel upload of ${job.key}`}>
                Cancel
              </button>
            )}
            {finished(job) && (
              <button type="button" class="dismiss" onClick={() => onDismiss([job.id])} aria-label={`Dismiss ${job.key}`}>
                Dismiss
              </button>
            )}
            {(job.state === 'uploading' || job.state === 'done') && (
              <progress
                max={Math.max(job.file.size, 1)}
                value={job.state === 'done' ? Math.max(job.file.size, 1) : job.sent}
                aria-label={`Upload of ${job.key}`}
              />
            )}
          </li>
        ))}
      </ul>
      {over.length > 1 && (
        <button type="button" class="clear-finished" onClick={() => onDismiss(over.map((job) => job.id))}>
          Dismiss all finished
        </button>
      )}
    </>
  );
}

function describe(job: Job): string {
  switch (job.state) {
    case 'waiting':
      return 'Waiting';
    case 'uploading':
      return `${Math.floor((job.sent / Math.max(job.file.size, 1)) * 100)}% of ${formatSize(job.file.size)}`;
    case 'done':
      return `Uploaded (${formatSize(job.file.size)})`;
    case 'cancelled':
      return 'Cancelled';
    case 'failed':
      return `Failed: ${job.message ?? 'unknown error'}`;
  }
}
