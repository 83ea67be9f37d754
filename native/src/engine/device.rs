//! Where a model runs: the device asked for (`auto`, `cpu`, `cuda`) resolved against what this
//! machine has, and the compute type. CTranslate2's released library carries the CUDA 12 kernels
//! and loads the driver (libcuda.so.1) and cuBLAS (libcublas.so.12) itself at run time, so a GPU
//! is usable only when both can be loaded: that is checked here, before a model is loaded, so
//! that a missing cuBLAS is a clear error (or, for `auto`, the CPU) rather than a failure deep
//! inside the first encode.

use std::ffi::{CStr, CString};

use anyhow::{bail, Result};
use ct2rs::sys::{ComputeType, Device};

/// The cuBLAS that CTranslate2 4.x's CUDA 12 build loads.
pub const CUBLAS_LIBRARY: &str = "libcublas.so.12";

pub fn cuda_device_count() -> usize {
    ct2rs::sys::get_device_count(Device::CUDA).max(0) as usize
}

/// Whether `library` can be loaded by the dynamic loader, with its reason when not.
fn loadable(library: &str) -> std::result::Result<(), String> {
    let name = CString::new(library).map_err(|e| e.to_string())?;
    // SAFETY: dlopen/dlerror/dlclose with a valid C string; the handle is closed at once
    // (the library stays loaded only if CTranslate2 already holds it).
    unsafe {
        let handle = libc::dlopen(name.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if handle.is_null() {
            let err = libc::dlerror();
            return Err(if err.is_null() { format!("{library} cannot be loaded") } else { CStr::from_ptr(err).to_string_lossy().into_owned() });
        }
        libc::dlclose(handle);
    }
    Ok(())
}

/// Whether a CUDA device can run models: `Err` says why not.
pub fn cuda_usable() -> std::result::Result<(), String> {
    if cuda_device_count() == 0 {
        return Err("no CUDA device is visible (no NVIDIA GPU, or no driver: libcuda.so.1)".to_string());
    }
    loadable(CUBLAS_LIBRARY).map_err(|why| {
        format!(
            "a CUDA device is visible, but cuBLAS 12 cannot be loaded ({why}): use a CUDA 12 runtime image \
             (nvidia/cuda:12.x-runtime), or `pip install nvidia-cublas-cu12` and add its nvidia/cublas/lib \
             folder to LD_LIBRARY_PATH"
        )
    })
}

/// The device to load on: `cuda` fails with the reason when no GPU can be used; `auto` uses one
/// when it can and the CPU otherwise.
pub fn resolve_device(asked: &str) -> Result<Device> {
    Ok(match asked {
        "cpu" => Device::CPU,
        "cuda" => match cuda_usable() {
            Ok(()) => Device::CUDA,
            Err(why) => bail!("device \"cuda\" was asked for, but {why}"),
        },
        "auto" => if cuda_usable().is_ok() { Device::CUDA } else { Device::CPU },
        other => bail!("unknown device {other:?} (expected auto, cpu or cuda)"),
    })
}

/// faster-whisper's compute type names; `auto`/`default` is float16 on CUDA, int8 on the CPU.
pub fn resolve_compute_type(asked: &str, device: Device) -> Result<(String, ComputeType)> {
    let name = match asked {
        "auto" | "default" => if device == Device::CUDA { "float16" } else { "int8" },
        other => other,
    };
    let ct = match name {
        "int8" => ComputeType::INT8,
        "int8_float32" => ComputeType::INT8_FLOAT32,
        "int8_float16" => ComputeType::INT8_FLOAT16,
        "int8_bfloat16" => ComputeType::INT8_BFLOAT16,
        "int16" => ComputeType::INT16,
        "float16" => ComputeType::FLOAT16,
        "bfloat16" => ComputeType::BFLOAT16,
        "float32" => ComputeType::FLOAT32,
        other => bail!(
            "unknown compute type {other:?} (expected auto, int8, int8_float32, int8_float16, int8_bfloat16, int16, float16, bfloat16 or float32)"
        ),
    };
    Ok((name.to_string(), ct))
}
