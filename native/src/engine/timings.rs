//! Where a call's time went, stage by stage, for profiling (`StageTimings`, returned on request
//! through the `JobControl`). A job's work runs start to end on one thread of libuv's pool, so the
//! stages add up in a thread-local: `begin` clears it when a job starts, `measure` wraps each
//! stage's calls (in model.rs and features.rs), `end` reads it when the job is done.

use std::cell::RefCell;
use std::time::Instant;

use napi_derive::napi;

/// Seconds spent in each stage of one native call. Encoder runs for language detection count
/// as `encode`, the language head itself as `language`.
#[napi(object)]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageTimings {
    /// Log-mel features (with the sequential pipeline's pass for the global maximum).
    pub features: f64,
    pub encode: f64,
    pub language: f64,
    /// Decoding (beam search or sampling), every temperature tried.
    pub generate: f64,
    /// Word alignment (cross-attention DTW).
    pub align: f64,
    /// The whole call, from its start on the thread pool to its result.
    pub total: f64,
}

#[derive(Clone, Copy)]
pub enum Stage {
    Features,
    Encode,
    Language,
    Generate,
    Align,
}

thread_local! {
    static CURRENT: RefCell<Option<(Instant, StageTimings)>> = const { RefCell::new(None) };
}

/// Starts counting for the job on this thread.
pub fn begin() {
    CURRENT.with(|c| *c.borrow_mut() = Some((Instant::now(), StageTimings::default())));
}

/// Runs `f`, adding its time to `stage` when a job on this thread is counting.
pub fn measure<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let seconds = started.elapsed().as_secs_f64();
    CURRENT.with(|c| {
        if let Some((_, t)) = c.borrow_mut().as_mut() {
            *match stage {
                Stage::Features => &mut t.features,
                Stage::Encode => &mut t.encode,
                Stage::Language => &mut t.language,
                Stage::Generate => &mut t.generate,
                Stage::Align => &mut t.align,
            } += seconds;
        }
    });
    out
}

/// Stops counting and returns what this thread's job spent.
pub fn end() -> StageTimings {
    CURRENT.with(|c| match c.borrow_mut().take() {
        Some((started, mut t)) => {
            t.total = started.elapsed().as_secs_f64();
            t
        }
        None => StageTimings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_add_up_within_a_job_only() {
        measure(Stage::Encode, || std::thread::sleep(std::time::Duration::from_millis(2)));
        begin();
        measure(Stage::Encode, || std::thread::sleep(std::time::Duration::from_millis(5)));
        measure(Stage::Encode, || std::thread::sleep(std::time::Duration::from_millis(5)));
        let x = measure(Stage::Align, || 7);
        let t = end();
        assert_eq!(x, 7);
        assert!(t.encode >= 0.010 && t.encode < 1.0, "{t:?}");
        assert_eq!((t.features, t.generate, t.language), (0.0, 0.0, 0.0));
        assert!(t.align >= 0.0 && t.total >= t.encode + t.align);
        assert_eq!(end(), StageTimings::default(), "nothing counted after the job ends");
    }
}
