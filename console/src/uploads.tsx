/** Uploads into the folder shown (not yet: stage 2 of the browser). */
import type { StorageType } from '../../src/protocol/storageTypes';
import type { Api } from './api';

interface Props {
  api: Api;
  type: StorageType;
  prefix: string;
  onUploaded: () => void;
  onError: (error: unknown) => void;
}

export function Uploads(_props: Props) {
  return null;
}
