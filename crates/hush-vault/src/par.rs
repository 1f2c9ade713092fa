//! Work spread over the available cores, in order: opening a large vault (AEAD and
//! decoding) and auditing it (zxcvbn) are both independent per item and dominate
//! their commands (docs/benchmarks.md).

/// `f` over `items` split into contiguous chunks, one per core (and at least
/// `min_per_thread` items each), on scoped threads. The result is the same as one
/// call's: the outputs in order, or the error of the first chunk (in order) that
/// fails. A panic in a worker is passed on.
pub fn map_chunks<T, R, E>(
    items: &[T],
    min_per_thread: usize,
    f: impl Fn(&[T]) -> Result<Vec<R>, E> + Sync,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / min_per_thread.max(1)).max(1);
    if threads == 1 {
        return f(items);
    }
    let mut chunks = items.chunks(items.len().div_ceil(threads));
    let first = chunks.next().unwrap_or_default();
    let f = &f;
    std::thread::scope(|scope| {
        let rest: Vec<_> = chunks.map(|chunk| scope.spawn(move || f(chunk))).collect();
        // The calling thread takes the first chunk; the others are checked in order,
        // so the first error returned is the first in the input.
        let mut out = f(first)?;
        out.reserve(items.len().saturating_sub(out.len()));
        for handle in rest {
            out.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_the_first_error_wins() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = map_chunks(&items, 1, |c| Ok::<_, u32>(c.iter().map(|x| x * 2).collect())).unwrap();
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        // Failures in several chunks: the one earliest in the input is reported.
        let first_bad = |c: &[u32]| c.iter().map(|&x| if x % 300 == 299 { Err(x) } else { Ok(x) }).collect();
        assert_eq!(map_chunks(&items, 1, first_bad), Err(299));
        assert_eq!(map_chunks(&[] as &[u32], 1, |c| Ok::<_, ()>(c.to_vec())), Ok(vec![]));
    }
}
