// ONNX Runtime sessions (onnxruntime-node), one per model file and thread count, created once and
// shared: Silero VAD (vad.ts) and the diarization models (diarize/models.ts) run through here.

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
export interface OrtSession {
  ort: Ort;
  session: Session;
}

/**
 * onnxruntime 1.30's Linux build starts Microsoft's 1DS telemetry SDK when its environment is
 * created (the first session), unless ORT_DISABLE_TELEMETRY=1. That SDK writes an empty
 * `mat-debug-<pid>.log` and a `.ses` file into TMPDIR, shells out `blkid; hostname` for a device
 * id, and matches /proc/self/cmdline against the regex `(.*)[ ]*.*[\n]*` with libstdc++'s
 * std::regex, whose matcher recurses once per character: a command line of ~30 KB or more (a
 * worker given `--test_input` with base64 audio) overflows the main thread's stack and the process
 * dies with SIGSEGV. The variable is read when the environment is created, so setting it here,
 * before the first session, is enough; it is forced on because the crash is not optional.
 */
function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}

const sessions = new Map<string, Promise<OrtSession>>();

/** The session of `modelPath` run on `threads` intra-op threads (created on first use). */
export function onnxSession(modelPath: string, threads = 1): Promise<OrtSession> {
  const key = `${threads}\0${modelPath}`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      disableOrtTelemetry();
      const ort = (await import('onnxruntime-node')) as unknown as Ort;
      const session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        enableCpuMemArena: false,
        logSeverityLevel: 4,
      });
      return { ort, session };
    })();
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}
