/**
 * One line atop a storage type's panel: what the type is for, and what this caller may do there,
 * from GET /capabilities (its operations, and its note where something is refused), so a
 * newcomer knows where files belong before a refusal tells them.
 */
import { TMP_EXPIRY_DAYS, type StorageType } from '../../src/protocol/storageTypes';
import type { TypeCapabilities } from './api';

const PURPOSES: Record<StorageType, string> = {
  data: 'Your files, kept until you delete them; where files go by default.',
  tmp: `Temporary files: each one expires ${TMP_EXPIRY_DAYS} days after it was written.`,
  products: 'Products for the catalog: upload them here; the catalog reads them and deletes them.',
  result: 'What task processing wrote for you; you do not upload here.',
  logs: 'The logs task processing wrote; you do not upload here.',
};

/** What a person can do, each with the operations that give it. */
const ACTIONS = [
  { words: 'browse', operations: ['list'] },
  { words: 'upload', operations: ['write', 'signUpload'] },
  { words: 'download', operations: ['read', 'signDownload'] },
  { words: 'delete', operations: ['delete'] },
] as const;

export function TypeAbout({ type, rights }: { type: StorageType; rights: TypeCapabilities | undefined }) {
  const allowed = rights?.operations ?? [];
  const can = ACTIONS.filter(({ operations }) => operations.some((operation) => allowed.includes(operation))).map(({ words }) => words);
  const refused = can.length < ACTIONS.length;
  return (
    <p class="about" id={aboutId(type)}>
      {PURPOSES[type]} {can.length > 0 ? `You may ${sentence(can)} here.` : 'You may do nothing here.'}
      {refused && rights?.note && <span class="why"> {/[.!?]$/.test(rights.note) ? rights.note : `${rights.note}.`}</span>}
    </p>
  );
}

/** The id of a type's line, which describes the panel. */
export function aboutId(type: StorageType): string {
  return `about-${type}`;
}

/** "a", "a and b", "a, b and c". */
function sentence(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}
