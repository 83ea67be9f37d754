// Options: the one table (spec.ts), the types it gives (types.ts), checking a value (check.ts)
// and resolving a call's options (resolve.ts).
import { native } from '../native.js';
import { setLanguageCodes } from './check.js';

export * from './spec.js';
export * from './types.js';
export { checkValue, valueFromText, optionError, optionMessage, rangeText, NUMBER, BOOL_WORDS } from './check.js';
export { resolveOptions, resolveDecoding, resolveVad, resolveDiarize, resolveSubtitles, type ResolvedOptions, type ResolvedDecoding, type ResolvedVad, type ResolvedDiarize, type ResolvedSubtitles } from './resolve.js';

setLanguageCodes(native().languageCodes());
