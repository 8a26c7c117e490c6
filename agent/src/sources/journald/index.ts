export {
  isJournaldAvailable,
  JournaldSource,
  type JournaldSourceOptions,
} from './journald-source.js';
export { type JournalEntry, parseJournalLine } from './parse.js';
