// Speaker labels on a transcript, as WhisperX's assign_word_speakers: a word gets the speaker whose
// turns overlap it most (none when no turn overlaps it); a segment gets the speaker of most of its
// words (ties and segments without words: the speaker whose turns overlap the segment most).
import type { SpeakerTurn } from './turns.js';

interface Timed {
  start: number;
  end: number;
}
export interface LabelledWord extends Timed {
  speaker?: string;
}
export interface LabelledSegment extends Timed {
  speaker?: string;
  words?: LabelledWord[] | null;
}

/** The speaker whose turns overlap [start, end] most, if any does. */
export function speakerAt(turns: SpeakerTurn[], start: number, end: number): string | undefined {
  const overlap = new Map<string, number>();
  for (const t of turns) {
    if (t.start >= end) break; // turns are sorted by start
    const o = Math.min(end, t.end) - Math.max(start, t.start);
    if (o > 0) overlap.set(t.speaker, (overlap.get(t.speaker) ?? 0) + o);
  }
  let best: string | undefined;
  for (const [s, o] of overlap) if (best === undefined || o > overlap.get(best)!) best = s;
  return best;
}

/** Sets `speaker` on the segments and their words (in place) and returns the segments. */
export function assignSpeakers<S extends LabelledSegment>(segments: S[], turns: SpeakerTurn[]): S[] {
  const sorted = [...turns].sort((a, b) => a.start - b.start);
  for (const seg of segments) {
    const votes = new Map<string, number>();
    for (const w of seg.words ?? []) {
      const s = speakerAt(sorted, w.start, w.end);
      if (s === undefined) continue;
      w.speaker = s;
      votes.set(s, (votes.get(s) ?? 0) + 1);
    }
    const max = Math.max(0, ...votes.values());
    const leaders = [...votes].filter(([, n]) => n === max).map(([s]) => s);
    const bySegment = speakerAt(sorted, seg.start, seg.end);
    const speaker = leaders.length === 1 ? leaders[0] : leaders.length > 1 && bySegment && leaders.includes(bySegment) ? bySegment : leaders[0] ?? bySegment;
    if (speaker !== undefined) seg.speaker = speaker;
  }
  return segments;
}
