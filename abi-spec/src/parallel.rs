//! Work spread over the machine's cores, with one fallback: where no thread
//! can be started (a process limit, a sandbox), the work runs on the
//! calling thread. Results come back in input order, so output never
//! depends on how many threads ran.

/// Splits `items` into one chunk per available core, runs `work` on each
/// chunk (in scoped threads when there is more than one), and returns the
/// results in chunk order.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len())
        .max(1);
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let spawned = std::thread::Builder::new().spawn_scoped(scope, move || work(part));
                (part, spawned)
            })
            .collect();
        handles
            .into_iter()
            .map(|(part, spawned)| match spawned {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: do this chunk here.
                Err(_) => work(part),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order() {
        let items: Vec<u32> = (0..100).collect();
        let sums = super::map_chunks(&items, |chunk| chunk.to_vec());
        assert_eq!(sums.concat(), items);
        assert!(super::map_chunks(&[] as &[u32], |c| c.len())
            .iter()
            .all(|&n| n == 0));
    }
}
