//! Keeping the server's peak memory close to what one list needs.
//!
//! A list at 10,000 backups moves a cluster answer of about 4 MB, the
//! parsed records and the JSON written back, on whichever worker thread
//! the task runs. glibc's malloc gives each thread its own arena and, by
//! default, raises its `mmap` threshold to the largest block freed so far,
//! so after the first list those buffers come from the arenas and stay
//! there: the server's peak RSS at 10,000 backups on the emulated ES 7.10
//! was 36 MiB. With a fixed 128 KiB threshold every large buffer is mapped
//! on its own and handed back when freed: 23 MiB, with no change in CPU
//! per list (docs/performance.md). mimalloc, tried as the alternative,
//! held 83 MiB.

/// glibc's default initial threshold, kept fixed instead of growing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's `mmap` threshold at 128 KiB. Called first thing in
/// `main`, before any thread exists; a no-op elsewhere.
pub(crate) fn return_large_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc tuning parameter; it is called
    // before the runtime starts any thread, and a refusal (return 0)
    // leaves glibc's defaults, which are correct, only larger.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
