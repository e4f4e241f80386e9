/** What went wrong, said in an alert; a refused token instead signs out, with the reason. */
import { useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Problems {
  fail: (error: unknown) => void;
  clear: () => void;
}

export function useProblem(onUnauthorized: (why: string) => void): Problems & { problem: string | undefined } {
  const [problem, setProblem] = useState<string>();
  const fail = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) onUnauthorized(error.message);
    else setProblem(error instanceof Error ? error.message : String(error));
  };
  return { problem, fail, clear: () => setProblem(undefined) };
}
