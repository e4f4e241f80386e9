import { useEffect, useRef } from 'preact/hooks';
import type { SignInLink } from './session';

/**
 * The question a sign-in link asks before it is used. It names the account and where uploads
 * would go, since a link to someone else's account is how they would collect your files.
 */
export function ConfirmSignIn({
  link,
  signedIn,
  current,
  busy,
  onConfirm,
  onCancel,
}: {
  link: SignInLink;
  signedIn: boolean;
  current: string | undefined;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
    confirm.current?.focus();
  }, []);
  const subject = <bdi>{link.subject}</bdi>;
  return (
    <dialog
      ref={dialog}
      class="confirm signin-link"
      aria-labelledby="signin-link-heading"
      aria-describedby="signin-link-explained"
      onCancel={(event) => {
        // Escape is Cancel, except while a ticket is being traded.
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id="signin-link-heading">
        {!signedIn ? (
          <>Sign in as {subject}?</>
        ) : current ? (
          <>
            You are signed in as <bdi>{current}</bdi>. Switch to {subject}?
          </>
        ) : (
          <>You are signed in already. Switch to {subject}?</>
        )}
      </h2>
      <div id="signin-link-explained">
        <p>
          This link signs this browser tab in as <strong>{subject}</strong>. Files you upload after that go into that account’s storage, and
          whoever owns the account can read them.
        </p>
        {link.namespace && (
          <p>
            Its storage namespace: <code class="fullkey">{link.namespace}</code>
          </p>
        )}
        <p>
          Go on only if you opened this link yourself and it is your account. If you did not expect it, choose Cancel
          {!signedIn ? (
            '.'
          ) : current ? (
            <>
              : you stay signed in as <bdi>{current}</bdi>.
            </>
          ) : (
            ': you stay signed in as you are.'
          )}
        </p>
      </div>
      <div class="actions">
        <button type="button" class="primary" ref={confirm} onClick={onConfirm} disabled={busy}>
          Sign in as {subject}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
      {busy && <p aria-live="polite">Signing in…</p>}
    </dialog>
  );
}
