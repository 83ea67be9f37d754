//! The error type of the engine: a code that says whose failure it is, set where the failure is
//! known, and a message. At the Node-API boundary (binding.rs) the code becomes the JS error's
//! `code` property (`ERR_INPUT`, ...), which src/model.ts maps to its error classes.
//! No napi here: the pipelines and `cargo test` use it without Node.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The caller's input: options, language, audio.
    Input,
    /// The call was aborted through its JobControl.
    Aborted,
    /// The model directory is missing, incomplete or not a CTranslate2 Whisper model.
    Model,
    /// CTranslate2 or the device failed (out of memory, CUDA): not the caller's input.
    Engine,
    /// A bug: a panic caught by `guard`.
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Input => "ERR_INPUT",
            ErrorCode::Aborted => "ERR_ABORTED",
            ErrorCode::Model => "ERR_MODEL",
            ErrorCode::Engine => "ERR_ENGINE",
            ErrorCode::Internal => "ERR_INTERNAL",
        }
    }
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[derive(Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Input, message)
    }
    pub fn model(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Model, message)
    }
    pub fn engine(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Engine, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    pub fn aborted() -> Self {
        Self::new(ErrorCode::Aborted, "the operation was aborted")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Failures of CTranslate2 (through ct2rs's `anyhow` errors) and other libraries, with the code
/// the caller knows them to have: `.or_code(ErrorCode::Engine, "encoder failed")`.
pub trait Context<T> {
    fn or_code(self, code: ErrorCode, what: &str) -> Result<T>;
    /// An engine failure, its message prefixed with `what` ("encoder failed: ...").
    fn or_engine(self, what: &str) -> Result<T>
    where
        Self: Sized,
    {
        self.or_code(ErrorCode::Engine, what)
    }
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn or_code(self, code: ErrorCode, what: &str) -> Result<T> {
        // `{:#}` prints an anyhow error with its causes, as the boundary always has.
        self.map_err(|e| Error::new(code, if what.is_empty() { format!("{e:#}") } else { format!("{what}: {e:#}") }))
    }
}

/// `return Err(Error::input(format!(...)))`.
macro_rules! input_error {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::input(format!($($arg)*)))
    };
}
pub(crate) use input_error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_js_codes() {
        let codes = [ErrorCode::Input, ErrorCode::Aborted, ErrorCode::Model, ErrorCode::Engine, ErrorCode::Internal];
        let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["ERR_INPUT", "ERR_ABORTED", "ERR_MODEL", "ERR_ENGINE", "ERR_INTERNAL"]);
    }

    #[test]
    fn context_keeps_the_cause() {
        let e: Result<()> = Err(anyhow::anyhow!("inner")).map_err(|e: anyhow::Error| e.context("middle")).or_engine("outer");
        let e = e.unwrap_err();
        assert_eq!(e.code, ErrorCode::Engine);
        assert_eq!(e.message, "outer: middle: inner");
    }
}
