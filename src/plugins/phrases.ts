/**
 * Plain words → a plugin request. A small, explicit matcher rather than a language model:
 * a message is a request when it asks for something to be installed (or says it is needed)
 * and names a plugin — by component, by a link into the directory, or by words after
 * "плагин" / "plugin" / "module". Russian names of common plugins are mapped to the words
 * the directory uses (посещаемость → attendance), since the directory is in English.
 */

export interface PlainRequest {
  /** A component, a directory link, or name words, as plugin-request takes them. */
  readonly reference: string;
  /** What the teacher wrote, kept as the reason. */
  readonly text: string;
}

const askRu =
  /(установ|постав|добав|подключ|включ|нуж(ен|на|но|ны)|необходим|хотел[аи]?\s+бы|хочу|прошу|можно\s+ли)/iu;
const askEn =
  /\b(install|add|enable|set\s+up|need|want|would\s+like|could\s+you|can\s+you|please)\b/i;
const pluginWordRu = /(плагин|модул|расширени|активност)[\p{L}]*/iu;
const pluginWordEn = /\b(plugin|module|extension|activity)s?\b/i;

const componentInText = /\b([a-z]+_[a-z][a-z0-9_]*[a-z0-9])\b/;
const urlInText = /\b((?:https?:\/\/)?(?:www\.)?moodle\.org\/plugins\/\S+)/i;

/** Russian word stems → the directory's English words. */
const dictionary: readonly [RegExp, string][] = [
  [/посещаемост/iu, 'attendance'],
  [/чек-?лист|контрольн\p{L}*\s+спис/iu, 'checklist'],
  [/сертификат/iu, 'certificate'],
  [/анкет|опросник/iu, 'questionnaire'],
  [/видеоконференц|вебинар/iu, 'bigbluebutton'],
  [/расписани|календар/iu, 'calendar'],
  [/журнал\p{L}*\s+оцен|оценк/iu, 'grade'],
  [/антиплагиат|плагиат/iu, 'plagiarism'],
  [/геймификац|уровн\p{L}*\s+опыт/iu, 'level up'],
];

/** Words that are not part of a name. */
const filler = new Set([
  'please',
  'the',
  'a',
  'an',
  'our',
  'my',
  'me',
  'us',
  'this',
  'that',
  'moodle',
  'site',
  'plugin',
  'plugins',
  'module',
  'install',
  'add',
  'need',
  'want',
  'could',
  'can',
  'you',
  'would',
  'like',
  'enable',
  'set',
  'called',
  'named',
  'it',
  'new',
]);
/** Words after which a name has ended: "the Level Up plugin for course 12". */
const boundary = new Set(['for', 'to', 'in', 'on', 'at', 'into', 'because', 'so', 'from', 'with']);

function nameWords(phrase: string | undefined): string | undefined {
  if (phrase === undefined) return undefined;
  const words: string[] = [];
  for (const word of phrase.toLowerCase().split(/[\s-]+/)) {
    if (boundary.has(word)) break;
    if (word.length > 0 && !filler.has(word)) words.push(word);
  }
  return words.length === 0 ? undefined : words.slice(0, 3).join(' ');
}

/** The name words after "plugin"/"module" in English, or before it. */
function englishName(text: string): string | undefined {
  const after =
    /\b(?:plugin|module|extension)s?\s+(?:called\s+|named\s+)?["«“]?([a-z][a-z0-9 -]{1,60})/i.exec(
      text,
    );
  const before =
    /\b(?:the\s+)?([a-z][a-z0-9-]{2,30}(?:\s+[a-z][a-z0-9-]{2,30})?)\s+(?:plugin|module)\b/i.exec(
      text,
    );
  return nameWords(after?.[1]) ?? nameWords(before?.[1]);
}

export function matchPlainRequest(text: string): PlainRequest | undefined {
  const line = text.trim();
  if (line.length === 0) return undefined;
  const asks = askRu.test(line) || askEn.test(line);
  const url = urlInText.exec(line)?.[1];
  const component = componentInText.exec(line)?.[1];
  const mentionsPlugin = pluginWordRu.test(line) || pluginWordEn.test(line);
  // A bare link or component with a verb of asking is enough; name words need the word
  // "plugin" as well, so that "please restart moodle" is not taken for a request.
  if (url !== undefined && (asks || mentionsPlugin)) return { reference: url, text: line };
  if (component !== undefined && asks) return { reference: component, text: line };
  if (!asks || !mentionsPlugin) return undefined;
  for (const [re, words] of dictionary) if (re.test(line)) return { reference: words, text: line };
  const name = englishName(line);
  return name === undefined ? undefined : { reference: name, text: line };
}
