//! The threads work is spread over: `-j/--jobs` for a directory's files
//! and an account's principals.

/// The threads for `jobs` (0: one per core); none for one job, or when
/// the threads cannot be made (the work then runs on this thread alone).
pub fn pool(jobs: usize) -> Option<rayon::ThreadPool> {
    let threads = match jobs {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    (threads > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten()
}
