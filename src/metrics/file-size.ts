import { statSync } from 'node:fs';

/** The size of a file, 0 when it is not there (no WAL between checkpoints of a closed bot). */
export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
