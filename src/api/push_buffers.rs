//! Buffers of finished pushes kept for the next ones. A push body is read
//! into one buffer and decompressed into another, a few MiB each; taken
//! fresh from the allocator every time, each 4 KiB page of them costs a
//! page fault and a zero fill, which measured more than the snappy
//! decoding itself. A few sets are kept while pushes keep coming and all
//! are dropped once pushes stop, so an idle server holds none.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::ingest::BodyBuffers;

/// Sets kept at most: one per push decoded at the same time on a small
/// machine.
const KEPT: usize = 4;
/// A buffer grown past this (one unusually large push) is not kept.
const MAX_KEPT_BYTES: usize = 16 << 20;

/// The buffers one push needs: the body as received and its decoded forms.
#[derive(Default)]
pub struct PushBuffers {
    /// The request body as received (still compressed).
    pub received: Vec<u8>,
    /// Where the body is decompressed.
    pub decoded: BodyBuffers,
}

impl PushBuffers {
    fn bytes(&self) -> usize {
        self.received.capacity().max(self.decoded.capacity())
    }
}

/// A bounded pool of [`PushBuffers`].
#[derive(Default)]
pub struct PushBufferPool {
    free: Mutex<Vec<PushBuffers>>,
    taken: AtomicBool,
}

impl PushBufferPool {
    /// A set of buffers: a kept one, or a new empty one.
    pub fn take(&self) -> PushBuffers {
        self.taken.store(true, Ordering::Relaxed);
        self.lock().pop().unwrap_or_default()
    }

    /// Returns a set after its push was handled; it is kept unless the pool
    /// is full or the set grew unusually large.
    pub fn put(&self, buffers: PushBuffers) {
        if buffers.bytes() > MAX_KEPT_BYTES {
            return;
        }
        let mut free = self.lock();
        if free.len() < KEPT {
            free.push(buffers);
        }
    }

    /// Drops every kept set.
    pub fn release(&self) {
        // Freed after the lock is let go.
        let dropped = std::mem::take(&mut *self.lock());
        drop(dropped);
    }

    /// Drops every kept set when none was taken since the previous call,
    /// that is when pushes stopped; true when it did.
    pub fn release_if_unused(&self) -> bool {
        if self.taken.swap(false, Ordering::Relaxed) {
            return false;
        }
        self.release();
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PushBuffers>> {
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grown(bytes: usize) -> PushBuffers {
        PushBuffers {
            received: Vec::with_capacity(bytes),
            decoded: BodyBuffers::default(),
        }
    }

    #[test]
    fn keeps_a_few_sets_and_hands_them_out_again() {
        let pool = PushBufferPool::default();
        for _ in 0..KEPT + 2 {
            pool.put(grown(1 << 20));
        }
        assert_eq!(pool.lock().len(), KEPT);
        let b = pool.take();
        assert!(b.received.capacity() >= 1 << 20);
        assert_eq!(pool.lock().len(), KEPT - 1);
    }

    #[test]
    fn does_not_keep_unusually_large_sets() {
        let pool = PushBufferPool::default();
        pool.put(grown(MAX_KEPT_BYTES + 1));
        assert!(pool.lock().is_empty());
        assert_eq!(pool.take().received.capacity(), 0);
    }

    #[test]
    fn releases_only_once_pushes_stopped() {
        let pool = PushBufferPool::default();
        let b = pool.take();
        pool.put(b);
        pool.put(grown(1024));
        // A push took a set since the last check: keep.
        assert!(!pool.release_if_unused());
        assert_eq!(pool.lock().len(), 2);
        // None since: drop them all.
        assert!(pool.release_if_unused());
        assert!(pool.lock().is_empty());
    }
}
