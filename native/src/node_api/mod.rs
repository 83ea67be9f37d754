//! What only the N-API boundary needs. `binding.rs` and `options.rs`, the boundary itself, are at
//! the crate root.
//!
//! - `guard`: every entry point runs inside it, so a panic rejects the call instead of aborting
//!   the process.

pub mod guard;
