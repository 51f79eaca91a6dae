/**
 * The platform-neutral message every command and alert produces. Adapters render it for
 * their messenger; nothing here knows about markdown dialects or terminals.
 */
export type Severity = 'info' | 'success' | 'warning' | 'error';

export interface Field {
  readonly label: string;
  readonly value: string;
  /** A short field may share a row with its neighbour where the messenger supports it. */
  readonly short?: boolean;
}

export interface CodeBlock {
  readonly language?: string;
  readonly content: string;
}

export interface Attachment {
  readonly name: string;
  readonly content: string;
}

export interface Action {
  readonly label: string;
  readonly style: 'primary' | 'danger' | 'default';
  /** The command line the action runs, as the clicking person, e.g. `confirm 7F3K`. */
  readonly command: string;
}

export interface Message {
  readonly title?: string;
  /** A small markdown subset: **bold**, `code`, line breaks. */
  readonly text?: string;
  readonly severity: Severity;
  readonly fields?: readonly Field[];
  readonly code?: CodeBlock;
  readonly files?: readonly Attachment[];
  readonly actions?: readonly Action[];
}
