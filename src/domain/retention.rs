//! Personal data (RGPD): when a campaign's emails and names are erased. A campaign closes
//! when its last invitation closes (or, for one never sent, when it was planned or created);
//! its contacts are erased `months` later. The responses, their answers and the invitations'
//! statuses and dates stay: they are what the indicators count.

use chrono::{DateTime, Months, Utc};

/// Default retention after a campaign closes, in months.
pub const DEFAULT_MONTHS: u32 = 24;

/// The timings of one invitation that say when it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitationTimes {
    pub closes_at: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl InvitationTimes {
    fn over_at(&self) -> DateTime<Utc> {
        self.closes_at
            .or(self.scheduled_for)
            .unwrap_or(self.created_at)
    }
}

/// When a campaign with these invitations closed (None without invitations).
pub fn campaign_closed_at(invitations: &[InvitationTimes]) -> Option<DateTime<Utc>> {
    invitations.iter().map(InvitationTimes::over_at).max()
}

/// Whether contacts of a campaign closed at `closed_at` are to be erased at `now`.
pub fn erasable(closed_at: DateTime<Utc>, months: u32, now: DateTime<Utc>) -> bool {
    closed_at
        .checked_add_months(Months::new(months))
        .is_some_and(|limit| limit <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_campaign_closes_with_its_last_invitation() {
        let sent = InvitationTimes {
            closes_at: Some(at(2026, 5, 30)),
            scheduled_for: Some(at(2026, 4, 30)),
            created_at: at(2025, 8, 1),
        };
        let planned = InvitationTimes {
            closes_at: None,
            scheduled_for: Some(at(2026, 9, 1)),
            created_at: at(2025, 12, 1),
        };
        let bare = InvitationTimes {
            closes_at: None,
            scheduled_for: None,
            created_at: at(2025, 1, 1),
        };
        assert_eq!(campaign_closed_at(&[]), None);
        assert_eq!(campaign_closed_at(&[sent]), Some(at(2026, 5, 30)));
        assert_eq!(
            campaign_closed_at(&[sent, planned, bare]),
            Some(at(2026, 9, 1))
        );
        assert_eq!(campaign_closed_at(&[bare]), Some(at(2025, 1, 1)));
    }

    #[test]
    fn contacts_are_erased_months_after_closing() {
        let closed = at(2026, 5, 30);
        assert!(!erasable(closed, 24, at(2028, 5, 29)));
        assert!(erasable(closed, 24, at(2028, 5, 30)));
        assert!(erasable(closed, 0, closed));
        // 31 August + 6 months: the end of February.
        assert!(erasable(at(2026, 8, 31), 6, at(2027, 2, 28)));
    }
}

/// How the audit log names a contact: a hash of the address, not the address, so that the
/// log keeps no personal data once the contact is erased (yet a given address can be checked).
pub fn contact_reference(email: &str) -> String {
    let digest = super::staff::secret::digest(&email.trim().to_lowercase());
    format!("contact:{}", &digest[..16])
}

#[cfg(test)]
mod reference_tests {
    #[test]
    fn contacts_are_named_by_a_hash() {
        let a = super::contact_reference(" Camille@Example.org");
        assert_eq!(a, super::contact_reference("camille@example.org"));
        assert!(a.starts_with("contact:") && a.len() == 24 && !a.contains('@'));
    }
}
