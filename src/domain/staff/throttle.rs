//! Failed sign-ins: each key (an account, an address) that fails repeatedly must wait longer
//! and longer before its next attempt is even checked, then is locked for a while.

use chrono::{DateTime, Duration, Utc};

/// How many failures a key may make before it must wait, and how long it is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRules {
    /// Failures allowed without any wait.
    pub free_failures: u32,
    /// Failures after which the key is locked for `lock`.
    pub lock_after: u32,
    /// The first wait; each further failure doubles it (never beyond `lock`).
    pub first_wait: Duration,
    pub lock: Duration,
    /// Failures older than this are forgotten.
    pub forget_after: Duration,
}

impl ThrottleRules {
    /// Per account (email typed): 3 free failures, then 5 s, 10 s…, locked 15 minutes at 5.
    pub const ACCOUNT: ThrottleRules = ThrottleRules {
        free_failures: 3,
        lock_after: 5,
        first_wait: Duration::seconds(5),
        lock: Duration::minutes(15),
        forget_after: Duration::hours(1),
    };

    /// Per address: more room (colleagues behind one proxy), locked 15 minutes at 20.
    pub const ADDRESS: ThrottleRules = ThrottleRules {
        free_failures: 10,
        lock_after: 20,
        first_wait: Duration::seconds(5),
        lock: Duration::minutes(15),
        forget_after: Duration::hours(1),
    };

    /// Failures counted after one more at `now`, given the previous count and its time.
    pub fn failures_after(
        &self,
        previous: u32,
        last_failure: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> u32 {
        if now - last_failure > self.forget_after {
            1
        } else {
            previous.saturating_add(1)
        }
    }

    /// Until when a key with `failures` failures, the last at `now`, must wait (None: no wait).
    pub fn wait_until(&self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if failures >= self.lock_after {
            return Some(now + self.lock);
        }
        if failures <= self.free_failures {
            return None;
        }
        let doublings = (failures - self.free_failures - 1).min(20);
        let wait = self.first_wait * 2_i32.pow(doublings);
        Some(now + wait.min(self.lock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 16, 9, minute, 0).unwrap()
    }

    #[test]
    fn waits_grow_then_lock() {
        let rules = ThrottleRules::ACCOUNT;
        let now = at(0);
        assert_eq!(rules.wait_until(1, now), None);
        assert_eq!(rules.wait_until(3, now), None);
        assert_eq!(rules.wait_until(4, now), Some(now + Duration::seconds(5)));
        assert_eq!(rules.wait_until(5, now), Some(now + Duration::minutes(15)));
        assert_eq!(rules.wait_until(50, now), Some(now + Duration::minutes(15)));
        let address = ThrottleRules::ADDRESS;
        assert_eq!(address.wait_until(10, now), None);
        assert_eq!(
            address.wait_until(12, now),
            Some(now + Duration::seconds(10))
        );
        assert_eq!(
            address.wait_until(19, now),
            Some(now + Duration::minutes(15))
        );
    }

    #[test]
    fn old_failures_are_forgotten() {
        let rules = ThrottleRules::ACCOUNT;
        assert_eq!(rules.failures_after(4, at(0), at(30)), 5);
        assert_eq!(
            rules.failures_after(4, at(0), at(0) + Duration::minutes(61)),
            1
        );
    }
}
