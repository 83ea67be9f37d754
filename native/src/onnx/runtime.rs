//! ONNX Runtime itself: the library, loaded once, and sessions of ONNX models.
//!
//! The library is the `libonnxruntime.so.<version>` of ONNX Runtime's own release (the
//! `onnxruntime` PyPI wheel), shipped beside the `.node` (scripts/onnxruntime-release.mjs fetches
//! it, scripts/build-native.mjs copies it). It is loaded at run time (ort's `load-dynamic`) from the
//! directory of the module holding this code, the `.node` itself, on the first ONNX call: a process
//! that never runs an ONNX model never loads it. Its version must be the one pinned in
//! native/Cargo.toml (`[package.metadata.onnxruntime]`, passed in by build.rs), checked when it is
//! loaded.
//!
//! Threads: each session runs on `threads` intra-op threads of its own and one inter-op thread,
//! with spinning off, so that its idle threads sleep instead of taking cores from CTranslate2's
//! OpenMP threads; no CPU memory arena (memory goes back after each run).

use std::collections::HashMap;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ort::environment::Environment;
use ort::session::Session;

use crate::error::{Context, Error, ErrorCode, Result};

/// The ONNX Runtime release this addon loads (native/Cargo.toml, `[package.metadata.onnxruntime]`).
pub const ONNXRUNTIME_VERSION: &str = env!("CT2_WHISPER_ONNXRUNTIME_VERSION");

/// The library's file name beside the `.node`.
pub fn library_file_name() -> String {
    format!("libonnxruntime.so.{ONNXRUNTIME_VERSION}")
}

/// The directory of the shared object holding this code: the `.node` (or the unit-test binary).
fn own_directory() -> Option<PathBuf> {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let here = own_directory as *const libc::c_void;
    if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    let file = unsafe { CStr::from_ptr(info.dli_fname) }.to_str().ok()?;
    let file = std::fs::canonicalize(file).ok()?;
    file.parent().map(Path::to_path_buf)
}

/// Where the library is: beside the `.node`. The unit tests (scripts/test-native.mjs) name the
/// folder of the fetched release in CT2_WHISPER_ONNXRUNTIME_DIR instead.
fn library_path() -> Result<PathBuf> {
    #[cfg(test)]
    if let Some(dir) = std::env::var_os("CT2_WHISPER_ONNXRUNTIME_DIR") {
        return Ok(PathBuf::from(dir).join(library_file_name()));
    }
    let dir = own_directory().ok_or_else(|| Error::internal("internal error: the addon's own directory could not be found (dladdr)"))?;
    Ok(dir.join(library_file_name()))
}

/// The version the library at `path` reports (`OrtGetApiBase()->GetVersionString()`).
fn library_version(path: &Path) -> Result<String> {
    type GetApiBase = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    let lib = unsafe { libloading::Library::new(path) }.or_code(ErrorCode::Engine, &format!("ONNX Runtime could not be loaded from {}", path.display()))?;
    let get: libloading::Symbol<GetApiBase> = unsafe { lib.get(b"OrtGetApiBase") }.or_code(ErrorCode::Engine, &format!("{} is not ONNX Runtime", path.display()))?;
    let base = unsafe { get() };
    if base.is_null() {
        return Err(Error::engine(format!("{} gave no ONNX Runtime API", path.display())));
    }
    let version = unsafe { CStr::from_ptr(((*base).GetVersionString)()) };
    Ok(version.to_string_lossy().into_owned())
}

/// Drops ONNX Runtime's log lines: its failures come back as errors of the calls.
fn quiet(_: ort::logging::LogLevel, _: &str, _: &str, _: &str, _: &str) {}

/// Loads the library (checking its version) and creates the process's one environment.
fn start() -> Result<Environment> {
    let path = library_path()?;
    if !path.exists() {
        return Err(Error::engine(format!(
            "ONNX Runtime {ONNXRUNTIME_VERSION} ({}) is missing beside the addon, at {}: reinstall the platform package (ct2-whisper-linux-x64-gnu) or rebuild with `npm run build:native`",
            library_file_name(),
            path.display()
        )));
    }
    let version = library_version(&path)?;
    if version != ONNXRUNTIME_VERSION {
        return Err(Error::engine(format!("{} is ONNX Runtime {version}, but this addon was built for {ONNXRUNTIME_VERSION}", path.display())));
    }
    let builder = ort::init_from(&path).or_engine(&format!("ONNX Runtime could not be loaded from {}", path.display()))?;
    builder
        .with_name("ct2-whisper")
        .with_telemetry(false)
        .with_logger(Arc::new(quiet))
        .build()
        .or_engine("ONNX Runtime's environment could not be created")
}

/// The environment, created on first use; a failure to load is kept and reported to every call.
pub fn environment() -> Result<&'static Environment> {
    static ENVIRONMENT: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| start().map_err(|e| e.message))
        .as_ref()
        .map_err(|message| Error::engine(message.clone()))
}

/// ONNX Runtime 1.x's Linux build starts Microsoft's 1DS telemetry SDK when its environment is
/// created unless ORT_DISABLE_TELEMETRY=1 (DisableTelemetryEvents comes too late for it). That SDK
/// writes `mat-debug-<pid>.log` and a `.ses` file into TMPDIR, runs `blkid; hostname`, and matches
/// /proc/self/cmdline with libstdc++'s recursive std::regex, which overflows the stack on a command
/// line of ~30 KB or more (a worker given `--test_input` with base64 audio): SIGSEGV. Called on the
/// JS thread (setenv is not safe while another thread reads the environment) before the first job
/// that may create the environment.
pub fn disable_telemetry() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| std::env::set_var("ORT_DISABLE_TELEMETRY", "1"));
}

/// Creates a session of the model at `path` on `threads` intra-op threads.
fn create_session(path: &Path, threads: usize) -> Result<Session> {
    let env = environment()?;
    let what = format!("the ONNX model {} could not be loaded", path.display());
    let cpu = ort::ep::CPU::default().with_arena_allocator(false).build();
    Session::builder(env)
        .or_engine("ONNX Runtime session options")?
        .with_execution_providers([cpu])
        .and_then(|b| b.with_intra_threads(threads))
        .and_then(|b| b.with_inter_threads(1))
        .and_then(|b| b.with_intra_op_spinning(false))
        .and_then(|b| b.with_inter_op_spinning(false))
        .and_then(|b| b.with_memory_pattern(false))
        .or_engine("ONNX Runtime session options")?
        .commit_from_file(path)
        .or_code(ErrorCode::Model, &what)
}

/// Sessions of one model file on one thread count. `Session::run` takes `&mut`, so a call takes a
/// session out while it runs it (creating one when all are in use) and puts it back after.
pub struct SessionPool {
    path: PathBuf,
    threads: usize,
    idle: Mutex<Vec<Session>>,
}

impl SessionPool {
    /// The pool of `path` on `threads` threads, shared by every caller in the process, with one
    /// session made now (so that a bad model file fails here).
    pub fn get(path: &Path, threads: usize) -> Result<Arc<SessionPool>> {
        static POOLS: OnceLock<Mutex<HashMap<(PathBuf, usize), Arc<SessionPool>>>> = OnceLock::new();
        let key = (path.to_path_buf(), threads.max(1));
        let pools = POOLS.get_or_init(Default::default);
        if let Some(pool) = pools.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(pool.clone());
        }
        let first = create_session(&key.0, key.1)?;
        let pool = Arc::new(SessionPool { path: key.0.clone(), threads: key.1, idle: Mutex::new(vec![first]) });
        Ok(pools.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_insert(pool).clone())
    }

    /// Runs `f` with a session of its own.
    pub fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut session = match taken {
            Some(s) => s,
            None => create_session(&self.path, self.threads)?,
        };
        let out = f(&mut session);
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(session);
        out
    }

    /// The model's input names, in order.
    pub fn input_names(&self) -> Result<Vec<String>> {
        self.with_session(|s| Ok(s.inputs().iter().map(|i| i.name().to_string()).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_release_loads() {
        // scripts/test-native.mjs names the fetched release's folder.
        let path = library_path().unwrap();
        assert_eq!(library_version(&path).unwrap(), ONNXRUNTIME_VERSION);
        disable_telemetry();
        assert!(environment().is_ok());
        let missing = SessionPool::get(Path::new("/nonexistent/model.onnx"), 1).err().unwrap();
        assert_eq!(missing.code, ErrorCode::Model, "{}", missing.message);
    }
}
