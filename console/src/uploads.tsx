/**
 * Uploads into the folder shown: drop files or folders on the zone, or pick files or a folder; each goes
 * straight to the store (upload.ts), one file at a time, its parts in parallel, with a progress
 * bar per file and one for all, and Cancel. The list outlives switching tabs and folders. A
 * large upload cut by a page reload is listed as interrupted: picking the same file again
 * (there, or as a new upload to the same key) sends only the parts the store does not have.
 */
import { useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import { ApiError, type Api } from './api';
import { formatDuration, formatSize } from './format';
import { forgetUpload, isSameFile, pendingUploads, rememberUpload, type PendingUpload } from './pending';
import { uploadFile } from './upload';
import { DropZone, type Dropped } from './dropZone';
import { UploadRows, type Job } from './uploadRows';

interface Props {
  api: Api;
  /** Where new files go; undefined where the storage type takes no uploads from this caller. */
  target: { type: StorageType; prefix: string } | undefined;
  onUploaded: (type: StorageType, key: string) => void;
  onError: (error: unknown) => void;
}

let lastId = 0;

export function Uploads({ api, target, onUploaded, onError }: Props) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [interrupted, setInterrupted] = useState(pendingUploads);
  const [mismatch, setMismatch] = useState<string>();
  const queue = useRef<Job[]>([]);
  const running = useRef(false);
  /** The files added since the queue last ran dry, and when the first of them started: what the total bar and rate count. */
  const batch = useRef<{ ids: Set<number>; started: number }>({ ids: new Set(), started: 0 });

  const update = (id: number, patch: Partial<Job>) => setJobs((all) => all.map((job) => (job.id === id ? { ...job, ...patch } : job)));

  const drain = async () => {
    if (running.current) return;
    running.current = true;
    for (let job = queue.current.shift(); job; job = queue.current.shift()) {
      if (job.controller.signal.aborted) continue;
      const id = job.id;
      update(id, { state: 'uploading' });
      try {
        const { type, key, file } = job;
        await uploadFile(api, type, key, file, {
          signal: job.controller.signal,
          onProgress: (sent) => update(id, { sent }),
          resume: job.resume,
          onSession: (session) =>
            rememberUpload({ type, key, ...session, name: file.name, size: file.size, lastModified: file.lastModified }),
        });
        forgetUpload(type, key);
        update(id, { state: 'done', sent: job.file.size });
        onUploaded(job.type, job.key);
      } catch (error) {
        // Cancelled or failed, the session was aborted: nothing is left to resume.
        forgetUpload(job.type, job.key);
        if (job.controller.signal.aborted) {
          update(id, { state: 'cancelled', sent: 0 });
          continue;
        }
        if (error instanceof ApiError && error.status === 401) onError(error);
        update(id, { state: 'failed', sent: 0, message: error instanceof Error ? error.message : String(error) });
      }
    }
    running.current = false;
  };

  /** Queues files; each goes to the target folder plus its path (a dropped or picked folder's). */
  const add = (files: (File | Dropped)[], to = target) => {
    if (!to || files.length === 0) return;
    const fresh = files.map((item) => {
      const file = item instanceof File ? item : item.file;
      const key = `${to.prefix}${item instanceof File ? file.webkitRelativePath || file.name : item.path}`;
      const resume = interrupted.find((upload) => upload.type === to.type && upload.key === key && isSameFile(upload, file));
      return { id: ++lastId, type: to.type, key, file, sent: 0, state: 'waiting' as const, controller: new AbortController(), resume };
    });
    const taken = new Set(fresh.map((job) => `${job.type}\n${job.key}`));
    setInterrupted((all) => all.filter((upload) => !taken.has(`${upload.type}\n${upload.key}`)));
    if (!running.current) batch.current = { ids: new Set(), started: performance.now() };
    for (const job of fresh) batch.current.ids.add(job.id);
    setJobs((all) => [...all.filter((job) => job.state !== 'done'), ...fresh]);
    queue.current.push(...fresh);
    void drain();
  };

  const active = jobs.filter((job) => job.state === 'waiting' || job.state === 'uploading');
  const counted = jobs.filter((job) => batch.current.ids.has(job.id) && job.state !== 'failed' && job.state !== 'cancelled');
  const total = counted.reduce((sum, job) => sum + job.file.size, 0);
  const sent = counted.reduce((sum, job) => sum + (job.state === 'done' ? job.file.size : job.sent), 0);
  const seconds = (performance.now() - batch.current.started) / 1000;
  const rate = seconds > 0.5 ? sent / seconds : 0;
  const left = rate > 0 ? Math.ceil((total - sent) / rate) : undefined;

  /** Picked for an interrupted upload: the same file goes on where it stopped. */
  const resumeWith = (upload: PendingUpload, file: File | undefined) => {
    if (!file) return;
    if (!isSameFile(upload, file)) {
      setMismatch(`${file.name} is not the file that was being uploaded to ${upload.key} (its name, size or date differ).`);
      return;
    }
    setMismatch(undefined);
    add([file], { type: upload.type, prefix: upload.key.slice(0, upload.key.length - file.name.length) });
  };

  const discard = (upload: PendingUpload) => {
    forgetUpload(upload.type, upload.key);
    setInterrupted((all) => all.filter((other) => other !== upload));
    void api.empty('multipart_abort', { type: upload.type, key: upload.key, uploadId: upload.uploadId }).catch(() => undefined);
  };

  if (!target && jobs.length === 0 && interrupted.length === 0) return null;
  return (
    <section class="uploads-area" aria-label="Uploads">
      {interrupted.length > 0 && (
        <div class="interrupted">
          <h2>Interrupted uploads</h2>
          <p>Choose the same file again to send what is missing.</p>
          <ul>
            {interrupted.map((upload) => (
              <li key={`${upload.type}:${upload.key}`}>
                <span class="name">
                  {upload.key} ({formatSize(upload.size)}, {upload.type})
                </span>
                <label class="button">
                  Resume…
                  <input
                    type="file"
                    class="sr-only"
                    aria-label={`Choose ${upload.name} again to resume its upload`}
                    onChange={(event) => {
                      resumeWith(upload, event.currentTarget.files?.[0]);
                      event.currentTarget.value = '';
                    }}
                  />
                </label>
                <button type="button" onClick={() => discard(upload)} aria-label={`Discard the upload of ${upload.key}`}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
          {mismatch && (
            <p role="alert" class="alert">
              {mismatch}
            </p>
          )}
        </div>
      )}
      {target && <DropZone target={target} onFiles={add} onError={onError} />}
      {active.length > 0 && (
        <div class="total">
          <label for="upload-total">
            Uploading {active.length} {active.length === 1 ? 'file' : 'files'}: {formatSize(sent)} of {formatSize(total)}
            {rate > 0 && `, ${formatSize(rate)}/s`}
            {left !== undefined && `, ${formatDuration(left)} left`}
          </label>
          <progress id="upload-total" max={Math.max(total, 1)} value={sent} />
        </div>
      )}
      <UploadRows jobs={jobs} onDismiss={(ids) => setJobs((all) => all.filter((job) => !ids.includes(job.id)))} />
    </section>
  );
}
