//! Password checks (argon2id) in a bounded pool: each check needs its hash's memory (about
//! 19 MiB with the default parameters), so at most [`PasswordChecks::size`] run at once, each in
//! a buffer the pool keeps and reuses. Beyond that, sign-in answers 503 at once: a burst of
//! sign-ins costs a bounded amount of memory, whatever its size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

/// Checks at once at most, whatever the number of cores (8 × 19 MiB).
pub const MAX_POOL: usize = 8;

/// The pool of password checks.
pub struct PasswordChecks {
    permits: Arc<tokio::sync::Semaphore>,
    size: usize,
    /// Work memory of finished checks, reused by the next ones.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Checks run since the start.
    done: AtomicU64,
}

impl std::fmt::Debug for PasswordChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChecks")
            .field("size", &self.size)
            .field("done", &self.done())
            .finish_non_exhaustive()
    }
}

/// The right to run one check now.
pub struct CheckPermit<'a> {
    pool: &'a PasswordChecks,
    permit: tokio::sync::OwnedSemaphorePermit,
}

impl PasswordChecks {
    /// A pool of `size` concurrent checks (at least 1).
    pub fn new(size: usize) -> PasswordChecks {
        let size = size.max(1);
        PasswordChecks {
            permits: Arc::new(tokio::sync::Semaphore::new(size)),
            size,
            memory: Arc::new(Mutex::new(Vec::new())),
            done: AtomicU64::new(0),
        }
    }

    /// Two checks per core, at most [`MAX_POOL`].
    pub fn per_core() -> PasswordChecks {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordChecks::new((2 * cores).min(MAX_POOL))
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Password checks run since the start.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// A free place in the pool; `None` while all are busy.
    pub fn try_acquire(&self) -> Option<CheckPermit<'_>> {
        let permit = self.permits.clone().try_acquire_owned().ok()?;
        Some(CheckPermit { pool: self, permit })
    }
}

impl CheckPermit<'_> {
    /// Whether `password` matches the PHC string `hash` (on a blocking thread).
    pub async fn verify(self, hash: Option<String>, password: String) -> bool {
        let CheckPermit { pool, permit } = self;
        pool.done.fetch_add(1, Ordering::Relaxed);
        let memory = pool.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut blocks = memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop()
                .unwrap_or_default();
            let ok = hash.is_some_and(|h| verify_in(&h, password.as_bytes(), &mut blocks));
            memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(blocks);
            drop(permit);
            ok
        })
        .await
        .unwrap_or(false)
    }
}

/// argon2's own verification, with the work memory given by the caller.
fn verify_in(hash: &str, password: &[u8], blocks: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Some(salt), Some(expected)) =
        (Algorithm::try_from(hash.algorithm), hash.salt, hash.hash)
    else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let need = params.block_count();
    if blocks.len() < need {
        blocks.resize(need, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon
        .hash_password_into_with_memory(password, salt, &mut out, &mut blocks[..need])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checks_match_argon2_and_the_pool_is_bounded() {
        let hash = super::super::hash_password("s3cret").expect("hash");
        let pool = PasswordChecks::new(1);
        let permit = pool.try_acquire().expect("a free place");
        assert!(pool.try_acquire().is_none(), "one place, taken");
        assert!(permit.verify(Some(hash.clone()), "s3cret".into()).await);
        let permit = pool.try_acquire().expect("free again");
        assert!(!permit.verify(Some(hash.clone()), "wrong".into()).await);
        let permit = pool.try_acquire().expect("free again");
        assert!(
            !permit
                .verify(Some("not a hash".into()), "s3cret".into())
                .await
        );
        assert_eq!(pool.done(), 3);
        assert_eq!(
            pool.memory.lock().expect("lock").len(),
            1,
            "one buffer, reused"
        );
    }
}
