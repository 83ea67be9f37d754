//! Keeps Rust panics from crossing the Node-API boundary. A panic that unwinds out of an
//! `extern "C"` callback aborts the whole process (a 32 KB WAV with sample rate 0 killed the
//! worker that way, inside symphonia), so every entry point runs its body through `guard`, which
//! turns a panic into an `ERR_INTERNAL` error whose message starts with "internal error:".
//!
//! The panic hook only records where the panic happened for the error message; inside `guard` it
//! prints nothing (the caller gets the error), elsewhere it defers to the default hook. It never
//! aborts. The release profile must keep `panic = "unwind"` for any of this to work.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Error, Result};

thread_local! {
    /// How many `guard` calls this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic on this thread happened.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.with(|d| d.get()) > 0 {
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
                LOCATION.with(|l| *l.borrow_mut() = at);
            } else {
                default(info);
            }
        }));
    });
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

/// Runs `f`; a panic becomes `Err("internal error: <message> (at <file:line>)")`.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    outcome.unwrap_or_else(|payload| {
        let message = payload_message(payload.as_ref());
        let at = LOCATION.with(|l| l.borrow_mut().take()).map(|a| format!(" (at {a})")).unwrap_or_default();
        Err(Error::internal(format!("internal error: {message}{at}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let e = guard::<()>(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::Internal);
        assert!(e.message.starts_with("internal error: boom 7 (at "), "{}", e.message);
        assert!(e.message.contains("guard.rs"), "{}", e.message);
        let v: Vec<u32> = Vec::new();
        #[allow(clippy::unnecessary_operation)]
        let e = guard(|| Ok(v[3])).unwrap_err();
        assert!(e.message.starts_with("internal error: index out of bounds"), "{}", e.message);
        assert_eq!(guard(|| Ok(5)).unwrap(), 5);
    }
}
