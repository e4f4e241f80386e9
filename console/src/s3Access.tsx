/**
 * "Use with S3 tools": temporary S3 credentials for the caller's namespace (POST
 * /credentials), shown as snippets for the aws cli, rclone and GDAL pointed at the folder shown,
 * with their expiry and what they allow per storage type. Asked only when the person asks;
 * the keys live in this panel's state alone (never logged, never stored) and go when it closes.
 */
import { useEffect, useState } from 'preact/hooks';
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api } from './api';
import { formatDate, TYPE_NAMES } from './format';
import { awsSnippet, gdalSnippet, rcloneSnippet, type S3Credentials } from './s3Snippets';
import './s3Access.css';

interface Props {
  api: Api;
  /** The tab and folder shown: the snippets point there when the credentials reach it. */
  type: StorageType;
  prefix: string;
  onError: (error: unknown) => void;
}

const TOOLS = [
  { name: 'aws cli', snippet: awsSnippet },
  { name: 'rclone', snippet: rcloneSnippet },
  { name: 'GDAL', snippet: gdalSnippet },
] as const;

export function S3Access({ api, type, prefix, onError }: Props) {
  const [open, setOpen] = useState(false);
  const [credentials, setCredentials] = useState<S3Credentials>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string>();

  // Closed, the keys are dropped: opening again asks for them again (the gateway hands back the same ones for a while).
  useEffect(() => {
    if (!open) setCredentials(undefined);
  }, [open]);

  const issue = async () => {
    setBusy(true);
    try {
      setCredentials(await api.json('credentials', {}));
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  };

  const copy = async (tool: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(tool);
    } catch {
      // No clipboard permission: select the snippet so Ctrl+C copies it.
      const block = document.getElementById(snippetId(tool));
      if (block) window.getSelection()?.selectAllChildren(block);
    }
  };

  // The tab shown, or else the first type the credentials reach; the folder only in its own tab.
  const grant = credentials?.grants.find((each) => each.type === type) ?? credentials?.grants[0];
  const folder = grant?.type === type ? prefix : '';

  return (
    <details class="s3-access" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Use with S3 tools</summary>
      <p>
        Temporary keys for the aws cli, rclone, GDAL or any S3 tool, on your own files only, with the rights listed below. Anyone holding
        them can use them until they expire: keep them to yourself.
      </p>
      {!credentials && (
        <button type="button" onClick={() => void issue()} disabled={busy}>
          {busy ? 'Asking…' : 'Get S3 keys'}
        </button>
      )}
      {credentials && (
        <>
          <p class="s3-expiry">Valid until {formatDate(new Date(credentials.expiration))}.</p>
          <table class="s3-grants">
            <thead>
              <tr>
                <th scope="col">Storage type</th>
                <th scope="col">S3 location</th>
                <th scope="col">Allowed</th>
              </tr>
            </thead>
            <tbody>
              {credentials.grants.map((each) => (
                <tr key={each.type}>
                  <td>{TYPE_NAMES[each.type]}</td>
                  <td>
                    <code>
                      s3://{each.bucket}/{each.prefix}
                    </code>
                  </td>
                  <td>{each.access.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {grant &&
            TOOLS.map(({ name, snippet }) => {
              const text = snippet(credentials, grant, folder);
              return (
                <section key={name} class="s3-snippet" aria-label={name}>
                  <div class="s3-snippet-head">
                    <h3>{name}</h3>
                    <button type="button" onClick={() => void copy(name, text)}>
                      {copied === name ? 'Copied' : 'Copy'}
                    </button>
                  </div>
                  <pre id={snippetId(name)}>{text}</pre>
                </section>
              );
            })}
        </>
      )}
    </details>
  );
}

function snippetId(tool: string): string {
  return `s3-snippet-${tool.replace(/\W+/g, '-').toLowerCase()}`;
}
