/**
 * The selected key: its size, type, modified time and ETag (HEAD), and what the storage
 * type's rules allow on it: download through a signed URL, a share link with a chosen
 * lifetime, delete after confirmation. What is not allowed is said, not hidden silently.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api, ObjectDetails, Operation } from './api';
import { formatDate, formatSize, SHARE_LIFETIMES } from './format';
import { Preview } from './preview';

interface Props {
  api: Api;
  type: StorageType;
  objectKey: string;
  allowed: Operation[];
  note: string;
  maxTtlSeconds: number;
  onClose: () => void;
  onDeleted: () => void;
  onError: (error: unknown) => void;
}

export function Details({ api, type, objectKey, allowed, note, maxTtlSeconds, onClose, onDeleted, onError }: Props) {
  const [details, setDetails] = useState<ObjectDetails>();
  const [missing, setMissing] = useState(false);
  const [lifetime, setLifetime] = useState(SHARE_LIFETIMES[0]?.seconds ?? 3600);
  const [link, setLink] = useState<{ url: string; until: Date }>();
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = objectKey.split('/').pop() ?? objectKey;
  const lifetimes = SHARE_LIFETIMES.filter((choice) => choice.seconds <= maxTtlSeconds);
  const canDownload = allowed.includes('signDownload');
  const canDelete = allowed.includes('delete');

  useEffect(() => {
    heading.current?.focus();
    if (!allowed.includes('exists')) return;
    api.details(type, objectKey).then(setDetails, (error: unknown) => {
      if ((error as { status?: number }).status === 404) setMissing(true);
      else onError(error);
    });
  }, []);

  const download = async () => {
    setBusy(true);
    try {
      const url = await api.downloadUrl(type, objectKey);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.target = '_blank';
      anchor.rel = 'noopener noreferrer';
      anchor.click();
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  };

  const share = async () => {
    setBusy(true);
    setCopied(false);
    try {
      const until = new Date(Date.now() + lifetime * 1000);
      setLink({ url: await api.downloadUrl(type, objectKey, lifetime), until });
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied(true);
    } catch {
      // No clipboard permission: select the link so Ctrl+C copies it.
      const field = document.getElementById('share-link') as HTMLInputElement | null;
      field?.select();
    }
  };

  const remove = async () => {
    confirm.current?.close();
    setBusy(true);
    try {
      await api.remove(type, objectKey);
      onDeleted();
    } catch (error) {
      onError(error);
      setBusy(false);
    }
  };

  return (
    <aside class="details" aria-labelledby="details-heading">
      <div class="details-head">
        <h2 id="details-heading" tabIndex={-1} ref={heading}>
          {name}
        </h2>
        <button type="button" class="close" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </div>
      <p class="fullkey">{objectKey}</p>
      {missing && <p>This key is no longer there.</p>}
      {details && (
        <dl>
          <dt>Size</dt>
          <dd title={`${details.size} bytes`}>{formatSize(details.size)}</dd>
          <dt>Type</dt>
          <dd>{details.contentType}</dd>
          <dt>Modified</dt>
          <dd>{formatDate(details.lastModified)}</dd>
          <dt>ETag</dt>
          <dd class="etag">{details.etag}</dd>
        </dl>
      )}

      {details && canDownload && <Preview api={api} type={type} objectKey={objectKey} details={details} />}

      {canDownload && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => void download()} disabled={busy}>
            Download
          </button>
        </div>
      )}

      {canDownload && (
        <fieldset class="share">
          <legend>Share a download link</legend>
          <label>
            <span>Link works for</span>
            <select value={lifetime} onChange={(event) => setLifetime(Number(event.currentTarget.value))}>
              {lifetimes.map((choice) => (
                <option key={choice.seconds} value={choice.seconds}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void share()} disabled={busy}>
            Create link
          </button>
          {link && (
            <div class="link">
              <label for="share-link">Link (anyone with it can download until {formatDate(link.until)})</label>
              <input id="share-link" type="url" readOnly value={link.url} onFocus={(event) => event.currentTarget.select()} />
              <button type="button" onClick={() => void copy()}>
                {copied ? 'Copied' : 'Copy link'}
              </button>
            </div>
          )}
        </fieldset>
      )}

      {canDelete && (
        <div class="actions">
          <button type="button" class="danger" onClick={() => confirm.current?.showModal()} disabled={busy}>
            Delete…
          </button>
        </div>
      )}

      {(!canDownload || !canDelete) && (
        <p class="note" role="note">
          {note}
        </p>
      )}

      <dialog ref={confirm} aria-labelledby="confirm-heading" class="confirm">
        <h2 id="confirm-heading">Delete this key?</h2>
        <p>
          <strong class="fullkey">{objectKey}</strong> will be deleted for good.
        </p>
        <div class="actions">
          <button type="button" onClick={() => confirm.current?.close()} autofocus>
            Cancel
          </button>
          <button type="button" class="danger" onClick={() => void remove()}>
            Delete
          </button>
        </div>
      </dialog>
    </aside>
  );
}
