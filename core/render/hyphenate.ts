// Hyphenation by language: the TeX patterns of the `hyphen` package insert soft hyphens (U+00AD) into
// words, which wrapping then uses as break points. Patterns load on first use per language (de is 700 kB).
type Hyphenate = (text: string, opts?: { hyphenChar?: string; minWordLength?: number }) => string;
type PatternModule = { hyphenateSync: Hyphenate };

// Literal imports, so `bun build --compile` puts each pattern file in the binary.
const PATTERNS: Record<string, () => Promise<PatternModule>> = {
  cs: () => import("hyphen/cs"),
  da: () => import("hyphen/da"),
  de: () => import("hyphen/de"),
  en: () => import("hyphen/en"),
  "en-gb": () => import("hyphen/en-gb"),
  es: () => import("hyphen/es"),
  fi: () => import("hyphen/fi"),
  fr: () => import("hyphen/fr"),
  it: () => import("hyphen/it"),
  nb: () => import("hyphen/nb"),
  nl: () => import("hyphen/nl"),
  pl: () => import("hyphen/pl"),
  pt: () => import("hyphen/pt"),
  sv: () => import("hyphen/sv"),
};

/** Languages with hyphenation patterns. */
export const HYPHENATION_LANGUAGES = Object.keys(PATTERNS);

/** The pattern set for a locale ("de-DE" → "de", "en-GB" → "en-gb", "en-US" → "en"), or undefined. */
export function hyphenationLanguage(locale: string): string | undefined {
  const l = locale.toLowerCase();
  if (l === "en-gb" || l.startsWith("en-gb-")) return "en-gb";
  const lang = l.split("-")[0];
  return lang === "no" ? "nb" : PATTERNS[lang] ? lang : undefined;
}

/** Inserts soft hyphens into `text` by the patterns of `locale`'s language (loaded with loadHyphenation first). */
export type Hyphenator = (text: string, locale: string) => string;

const loaded = new Map<string, Hyphenate>();

/** Loads the patterns of these locales' languages; returns the hyphenator that uses them. */
export async function loadHyphenation(locales: Iterable<string>): Promise<Hyphenator> {
  for (const locale of locales) {
    const lang = hyphenationLanguage(locale);
    if (lang && !loaded.has(lang)) loaded.set(lang, (await PATTERNS[lang]()).hyphenateSync);
  }
  return hyphenateLoaded;
}

function hyphenateLoaded(text: string, locale: string): string {
  const lang = hyphenationLanguage(locale);
  const h = lang ? loaded.get(lang) : undefined;
  if (!h) throw new Error(`hyphenation patterns for ${JSON.stringify(locale)} are not loaded`);
  // words of 5 letters or more; a break leaves at least 2 letters on each side (the patterns' own minimum)
  return h(text, { hyphenChar: "\u00ad", minWordLength: 5 });
}
