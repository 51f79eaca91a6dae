/**
 * The person who typed a command, as the core gets them: their name, and their own
 * language for what only they see. A name the messenger sent with the command (Mattermost's
 * `user_name`) serves when the directory has none.
 */
import type { Locale } from '../../core/i18n.ts';
import type { PeopleDirectory } from './directory.ts';

export interface Speaker {
  readonly displayName: string;
  readonly personLocale?: Locale;
}

export async function speakerOf(
  people: PeopleDirectory,
  actorId: string,
  given: string | undefined,
): Promise<Speaker> {
  const person = await people.person(actorId);
  const displayName = person.name ?? given ?? (await people.name(actorId));
  return person.locale === undefined
    ? { displayName }
    : { displayName, personLocale: person.locale };
}
