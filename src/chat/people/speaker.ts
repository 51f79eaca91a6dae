/**
 * The person who typed a command, as the core gets them: their name, and their own
 * language for what only they see. A name the messenger sent with the command (Mattermost's
 * `user_name`) serves when the directory has none.
 */
import type { Locale } from '../../core/i18n.ts';
import { PeopleDirectory } from './directory.ts';

export interface Speaker {
  readonly displayName: string;
  readonly personLocale?: Locale;
}

/** For a front end wired without a directory: names from the messenger's own request only. */
const nobody = new PeopleDirectory();

export async function speakerOf(
  directory: PeopleDirectory | undefined,
  actorId: string,
  given: string | undefined,
): Promise<Speaker> {
  const people = directory ?? nobody;
  const person = await people.person(actorId);
  const displayName = person.name ?? given ?? (await people.name(actorId));
  return person.locale === undefined
    ? { displayName }
    : { displayName, personLocale: person.locale };
}
