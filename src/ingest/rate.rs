//! Token-bucket rate limits (Go's `x/time/rate` semantics: a bucket starts
//! full, refills at `rate` up to `burst`, and a request larger than what is
//! available is refused without taking anything) in maps of bounded size.

use std::collections::HashMap;
use std::hash::Hash;

/// One token bucket, measured in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    tokens: f64,
    last_ns: i64,
}

impl Bucket {
    fn available(&self, now_ns: i64, rate: f64, burst: f64) -> f64 {
        let elapsed = now_ns.saturating_sub(self.last_ns).max(0) as f64 / 1e9;
        (self.tokens + elapsed * rate).min(burst)
    }
}

/// Buckets keyed by `K`, at most `capacity` of them. A bucket that has
/// refilled completely is the same as no bucket, so those are dropped first
/// when room is needed; then the least recently used one.
#[derive(Debug)]
pub struct Buckets<K> {
    rate: f64,
    burst: f64,
    capacity: usize,
    map: HashMap<K, Bucket, foldhash::fast::RandomState>,
}

impl<K: Eq + Hash + Clone> Buckets<K> {
    /// Buckets refilling at `rate` bytes per second up to `burst` bytes.
    pub fn new(rate: f64, burst: f64, capacity: usize) -> Self {
        Buckets {
            rate,
            burst,
            capacity: capacity.max(1),
            map: HashMap::default(),
        }
    }

    /// The refill rate in bytes per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Takes `n` bytes from `key`'s bucket at `now_ns` if that many are
    /// available; returns whether it did.
    pub fn allow(&mut self, key: &K, n: u64, now_ns: i64) -> bool {
        let n = n as f64;
        let (rate, burst) = (self.rate, self.burst);
        let available = match self.map.get(key) {
            Some(b) => b.available(now_ns, rate, burst),
            None => burst,
        };
        if n > available {
            return false;
        }
        if !self.map.contains_key(key) && self.map.len() >= self.capacity {
            self.make_room(now_ns);
        }
        self.map.insert(
            key.clone(),
            Bucket {
                tokens: available - n,
                last_ns: now_ns,
            },
        );
        true
    }

    fn make_room(&mut self, now_ns: i64) {
        let (rate, burst) = (self.rate, self.burst);
        self.map
            .retain(|_, b| b.available(now_ns, rate, burst) < burst);
        if self.map.len() >= self.capacity {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, b)| b.last_ns)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.map.remove(&k);
            }
        }
    }

    /// Number of buckets held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn token_bucket_like_x_time_rate() {
        let mut b: Buckets<&str> = Buckets::new(100.0, 300.0, 10);
        assert!(b.allow(&"a", 300, 0));
        assert!(!b.allow(&"a", 1, 0));
        assert!(b.allow(&"a", 100, SEC));
        assert!(!b.allow(&"a", 150, 2 * SEC)); // only 100 refilled
        assert!(b.allow(&"a", 100, 2 * SEC));
        assert!(!b.allow(&"b", 301, 0)); // larger than the burst: never
        assert!(b.allow(&"a", 300, 100 * SEC)); // refill is capped at the burst
    }

    #[test]
    fn map_stays_bounded() {
        let mut b: Buckets<u64> = Buckets::new(1.0, 10.0, 4);
        for k in 0..100u64 {
            assert!(b.allow(&k, 5, k as i64));
            assert!(b.len() <= 4);
        }
        // Full buckets are dropped first: key 99 is still limited.
        assert!(!b.allow(&99, 10, 99));
    }
}
