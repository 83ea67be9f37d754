// The audio of a live session at 16 kHz: appended as it comes, addressed in samples since the
// session began, and trimmed from the front once no utterance or VAD context needs it, so that a
// session holds a bounded stretch however long it lasts.
export class SessionAudio {
  private data = new Float32Array(16000 * 4);
  private length = 0;
  /** The session sample at data[0]. */
  start = 0;

  /** Samples received since the session began (the session sample after the last). */
  get end(): number {
    return this.start + this.length;
  }

  append(samples: Float32Array): void {
    if (this.length + samples.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + samples.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(samples, this.length);
    this.length += samples.length;
  }

  /** A copy of session samples [from, to), clamped to what is held. */
  slice(from: number, to: number): Float32Array {
    const a = Math.max(from, this.start) - this.start;
    const b = Math.min(to, this.end) - this.start;
    return this.data.slice(a, Math.max(a, b));
  }

  /** Drops samples before session sample `at`. */
  trimBefore(at: number): void {
    const drop = Math.min(Math.max(0, at - this.start), this.length);
    if (drop === 0) return;
    this.data.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.start += drop;
    if (this.data.length > 16000 * 8 && this.length < this.data.length / 4) this.data = this.data.slice(0, Math.max(this.length * 2, 16000 * 4));
  }
}
