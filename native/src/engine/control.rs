//! Cancellation and progress shared between a running job and the JS thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::engine::result::Segment;
use crate::engine::timings::StageTimings;
use crate::error::{Error, Result};

#[derive(Default)]
pub struct Control {
    cancelled: AtomicBool,
    /// Seconds done and in total, in milliseconds.
    done_ms: AtomicU64,
    total_ms: AtomicU64,
    /// Whether the caller takes segments as they come (a stream): the batched pipeline then
    /// starts with small batches, so that the first segments come early.
    streaming: AtomicBool,
    /// Segments finished since the JS side last took them.
    segments: Mutex<Vec<Segment>>,
    /// Seconds per stage, once the call is done.
    timings: Mutex<StageTimings>,
}

impl Control {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn check(&self) -> Result<()> {
        if self.cancelled.load(Ordering::SeqCst) {
            return Err(Error::aborted());
        }
        Ok(())
    }

    pub fn set_total(&self, seconds: f64) {
        self.total_ms.store((seconds.max(0.0) * 1000.0) as u64, Ordering::SeqCst);
    }

    pub fn set_done(&self, seconds: f64) {
        self.done_ms.store((seconds.max(0.0) * 1000.0) as u64, Ordering::SeqCst);
    }

    pub fn set_streaming(&self) {
        self.streaming.store(true, Ordering::SeqCst);
    }

    pub fn is_streaming(&self) -> bool {
        self.streaming.load(Ordering::SeqCst)
    }

    pub fn push_segment(&self, segment: &Segment) {
        self.segments.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(segment.clone());
    }

    pub fn take_segments(&self) -> Vec<Segment> {
        std::mem::take(&mut *self.segments.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn set_timings(&self, timings: StageTimings) {
        *self.timings.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = timings;
    }

    pub fn timings(&self) -> StageTimings {
        self.timings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// (seconds done, seconds in total)
    pub fn progress(&self) -> (f64, f64) {
        (
            self.done_ms.load(Ordering::SeqCst) as f64 / 1000.0,
            self.total_ms.load(Ordering::SeqCst) as f64 / 1000.0,
        )
    }
}
