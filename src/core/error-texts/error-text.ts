import type { Text } from '../i18n.ts';

export interface ErrorText {
  readonly kind: 'usage' | 'denied' | 'failed';
  readonly message: Text;
  readonly hint?: Text;
  /**
   * A refusal of a request that changed nothing (the service busy, the bot stopping): it
   * concerns only the person who asked, like every usage or permission refusal.
   */
  readonly private?: true;
}
