// The progress bar on stderr: on a terminal, one line redrawn in place with the audio done, the
// percentage and an ETA from the pace so far; with --progress and no terminal, the same line
// printed at most once a second (for logs); otherwise (or with --quiet) nothing.

/** m:ss, or h:mm:ss from an hour. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressState {
  label: string;
  /** Seconds of audio done and in all. */
  done: number;
  total: number;
  /** Wall time since the work started, in ms. */
  elapsedMs: number;
  /** Terminal width. */
  columns?: number;
}

/** One line: `label  42% |██████░░░░| 0:04/0:11 ETA 0:06`. */
export function renderProgress({ label, done, total, elapsedMs, columns = 80 }: ProgressState): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const pct = `${Math.floor(fraction * 100)}`.padStart(3) + '%';
  const eta = fraction >= 1 ? 'ETA 0:00' : fraction > 0 ? `ETA ${formatClock(((elapsedMs / 1000) * (1 - fraction)) / fraction)}` : 'ETA --:--';
  const tail = ` ${formatClock(done)}/${formatClock(total)} ${eta}`;
  const barWidth = 24;
  const filled = Math.round(fraction * barWidth);
  const bar = `|${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}|`;
  const room = Math.max(0, columns - 1 - (pct.length + 1 + bar.length + tail.length) - 1);
  const shown = label.length <= room ? label : room > 1 ? `…${label.slice(label.length - room + 1)}` : '';
  return `${shown ? `${shown} ` : ''}${pct} ${bar}${tail}`;
}

export type ProgressMode = 'tty' | 'lines' | 'off';

/** The mode for a stream: off when quiet; a bar on a terminal; lines when asked for without one. */
export function progressMode(stream: { isTTY?: boolean }, quiet: boolean, forced: boolean): ProgressMode {
  if (quiet) return 'off';
  if (stream.isTTY) return 'tty';
  return forced ? 'lines' : 'off';
}

export class ProgressBar {
  private started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly mode: ProgressMode,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    if (this.mode === 'off') return;
    const now = Date.now();
    const final = done >= total;
    if (!final && now - this.lastDraw < (this.mode === 'tty' ? 100 : 1000)) return;
    this.lastDraw = now;
    const line = renderProgress({ label: this.label, done, total, elapsedMs: now - this.started, columns: this.stream.columns || 80 });
    if (this.mode === 'tty') this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(`${line}\n`);
    this.drawn = true;
  }

  /** Ends the bar's line (on a terminal) so that what follows starts on its own line. */
  finish(): void {
    if (this.mode === 'tty' && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
