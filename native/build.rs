//! Build script: Node-API set-up, the pinned ONNX Runtime version for the code (the library
//! itself is loaded at run time, nothing is linked), and — with the default `prebuilt` feature —
//! linking the `libctranslate2` that CTranslate2's own release ships in its `ctranslate2` PyPI wheel.
//!
//! scripts/build-native.mjs fetches that wheel into the cache and points `CT2_WHISPER_CT2_DIR`
//! at the folder holding `libctranslate2-<hash>.so.<version>` and its `libgomp-<hash>.so.*`.
//! Those two files are shipped beside the `.node`, which finds them through an `$ORIGIN` rpath.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    napi_build::setup();
    let prebuilt = env::var_os("CARGO_FEATURE_PREBUILT").is_some();
    let source = env::vars().any(|(k, _)| k.starts_with("CARGO_FEATURE_SOURCE_"));
    if prebuilt && source {
        fail("the `prebuilt` feature and the `source-*` features exclude each other: build from source with --no-default-features");
    }
    if prebuilt {
        link_prebuilt();
    }
    // The ONNX Runtime release the code loads at run time (src/onnx/runtime.rs checks it).
    println!("cargo:rustc-env=CT2_WHISPER_ONNXRUNTIME_VERSION={}", pinned_version("onnxruntime"));
    // The unit-test binary (scripts/test-native.mjs) is built with the addon's own features, so it
    // shares every compiled dependency with the addon build; its Node-API symbols stay unresolved
    // as they are in the addon (a shared library allows that already), and no test calls them.
    println!("cargo:rustc-link-arg=-Wl,--unresolved-symbols=ignore-all");
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("{message}");
}

/// The version pinned in Cargo.toml's `[package.metadata.<what>]` (ctranslate2, onnxruntime).
fn pinned_version(what: &str) -> String {
    let manifest = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("Cargo.toml");
    println!("cargo:rerun-if-changed={}", manifest.display());
    let text = fs::read_to_string(&manifest).expect("Cargo.toml");
    let section = text
        .split(&format!("[package.metadata.{what}]"))
        .nth(1)
        .unwrap_or_else(|| fail(&format!("Cargo.toml has no [package.metadata.{what}] section")));
    section
        .lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| l.trim().strip_prefix("version").map(|v| v.trim_start_matches([' ', '=']).trim().trim_matches('"').to_string()))
        .unwrap_or_else(|| fail(&format!("[package.metadata.{what}] has no version")))
}

fn link_prebuilt() {
    println!("cargo:rerun-if-env-changed=CT2_WHISPER_CT2_DIR");
    let version = pinned_version("ctranslate2");
    let dir = PathBuf::from(env::var_os("CT2_WHISPER_CT2_DIR").unwrap_or_else(|| {
        fail(
            "CT2_WHISPER_CT2_DIR is not set: build with `node scripts/build-native.mjs`, which fetches CTranslate2's \
             released library, or build CTranslate2 from source with --no-default-features --features source-ruy,source-openmp",
        )
    }));
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| fail(&format!("CT2_WHISPER_CT2_DIR={}: {e}", dir.display())))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let library = names
        .iter()
        .find(|n| n.starts_with("libctranslate2") && n.contains(".so"))
        .unwrap_or_else(|| fail(&format!("no libctranslate2*.so* in {}", dir.display())));
    let found_version = library.rsplit(".so.").next().unwrap_or("");
    if !library.contains(".so.") || found_version != version {
        fail(&format!(
            "{} is CTranslate2 {found_version:?}, but this crate is pinned to CTranslate2 {version} (the version ct2rs's headers \
             are for): fetch the matching wheel (scripts/build-native.mjs does) or change both pins together",
            dir.join(library).display()
        ));
    }

    // `-lctranslate2` and the rest of ct2rs's `system` link list are resolved when ct2rs itself
    // is compiled, from the link directory that scripts/ctranslate2-release.mjs prepares and
    // passes in CMAKE_LIBRARY_PATH (which ct2rs's build script adds to the search path).
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath-link,{}", dir.display());
    // Beside the .node, and never a second OpenMP runtime: libctranslate2 brings its own libgomp.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN");
}
