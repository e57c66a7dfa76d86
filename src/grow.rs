//! Growing large buffers without `realloc`.
//!
//! glibc's `realloc` copies a chunk it cannot extend in place while it holds
//! the arena's lock, so one thread growing a buffer of a few hundred KiB
//! stalls every other thread that allocates from the same arena. kindling
//! runs with one arena per core (see `main.rs`), and while one push thread
//! appended to heads under the ingest lock the other thread, decoding the
//! next push, waited for the arena: a third of the server's context
//! switches during ingest were waits for that lock. These helpers grow a
//! buffer by allocating the larger one, moving the elements over outside
//! the allocator, and freeing the old one: the lock is held only for the
//! allocation and the free.

/// The capacity `Vec::reserve` would grow to for `extra` more elements:
/// twice the old one, at least what is needed, at least the standard
/// library's smallest non-zero capacity. `None` when there is room.
/// Growing to the same capacities keeps memory accounting as it was.
fn grown_capacity(len: usize, cap: usize, extra: usize, elem_size: usize) -> Option<usize> {
    let need = len.checked_add(extra)?;
    if need <= cap {
        return None;
    }
    let min = match elem_size {
        1 => 8,
        2..=1024 => 4,
        _ => 1,
    };
    Some(need.max(cap.saturating_mul(2)).max(min))
}

/// Makes room for `extra` more elements of `v` (see the module docs).
pub fn reserve<T>(v: &mut Vec<T>, extra: usize) {
    if let Some(cap) = grown_capacity(v.len(), v.capacity(), extra, std::mem::size_of::<T>()) {
        let mut grown = Vec::with_capacity(cap);
        grown.append(v);
        *v = grown;
    }
}

/// [`reserve`] for text.
pub fn reserve_text(s: &mut String, extra: usize) {
    if let Some(cap) = grown_capacity(s.len(), s.capacity(), extra, 1) {
        let mut grown = String::with_capacity(cap);
        grown.push_str(s);
        *s = grown;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_like_vec_reserve_and_keeps_the_elements() {
        for (len, extra) in [
            (0, 1),
            (0, 3),
            (3, 1),
            (8, 1),
            (8, 100),
            (100, 1),
            (1000, 24),
        ] {
            let mut ours: Vec<u8> = (0..len).map(|i| i as u8).collect();
            ours.shrink_to_fit();
            let mut std = ours.clone();
            std.shrink_to_fit();
            reserve(&mut ours, extra);
            std.reserve(extra);
            assert_eq!(ours.capacity(), std.capacity(), "len {len} extra {extra}");
            assert_eq!(ours, std);
        }
        let mut wide: Vec<u32> = vec![7; 5];
        wide.shrink_to_fit();
        reserve(&mut wide, 1);
        assert_eq!(wide.capacity(), 10);
        assert_eq!(wide, vec![7; 5]);
    }

    #[test]
    fn room_enough_changes_nothing() {
        let mut v: Vec<String> = Vec::with_capacity(4);
        v.push("a".into());
        let before = v.as_ptr();
        reserve(&mut v, 3);
        assert_eq!(v.as_ptr(), before);
        assert_eq!(v.capacity(), 4);
        reserve(&mut v, 4);
        assert_eq!(v.capacity(), 8);
        assert_eq!(v, vec!["a".to_string()]);
    }

    #[test]
    fn text_grows_and_keeps_its_contents() {
        let mut s = String::from("héllo");
        s.shrink_to_fit();
        reserve_text(&mut s, 1);
        assert_eq!(s.capacity(), 12);
        assert_eq!(s, "héllo");
        reserve_text(&mut s, 0);
        assert_eq!(s.capacity(), 12);
    }
}
