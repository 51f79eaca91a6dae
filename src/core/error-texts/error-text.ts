import type { Text } from '../i18n.ts';

export interface ErrorText {
  readonly kind: 'usage' | 'denied' | 'failed';
  readonly message: Text;
  readonly hint?: Text;
}
