// Language names as OpenAI's verbose_json reports them ("english"), from Whisper's codes:
// Unicode's English names, lowercased, where Whisper's own name differs.
const WHISPER_NAMES: Record<string, string> = {
  jw: 'javanese',
  my: 'myanmar',
  yue: 'cantonese',
  ht: 'haitian creole',
  haw: 'hawaiian',
  ps: 'pashto',
  es: 'spanish',
  ca: 'catalan',
  nn: 'nynorsk',
  mi: 'maori',
  ln: 'lingala',
  sn: 'shona',
  lb: 'luxembourgish',
  pa: 'punjabi',
  si: 'sinhala',
  ky: 'kyrgyz',
  tl: 'tagalog',
};

const display = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

export function languageName(code: string): string {
  return WHISPER_NAMES[code] ?? (display.of(code) ?? code).toLowerCase();
}
