//! Small-cell suppression for the breakdowns ("tris") of anonymous questionnaires.
//!
//! In a group of three agents, "3 respondents, all unfavourable" is three named opinions.
//! So, for a breakdown whose total is published:
//!
//! 1. **Total.** If the total is below the threshold `k`, everything is hidden, the total
//!    included: there is no safe way to split fewer than `k` people.
//! 2. **Primary suppression.** Every cell with fewer than `k` respondents is hidden, an empty
//!    cell included: "0 respondents in region X" tells everyone in X that none of them
//!    answered, and the next wave's "1" would then be somebody. (A group that is empty by
//!    construction, with nobody invited, is public knowledge and stays shown; in a plain
//!    breakdown the caller simply leaves such groups out.)
//! 3. **Complementary suppression.** The hidden cells add up to the total minus the shown
//!    ones, so hiding must not stop at one cell (it would be recovered exactly) nor at cells
//!    adding up to fewer than `k` (their sum would be a small group again). While that is
//!    the case the smallest shown cell is hidden too, which loses the least information.
//!
//! When the size of each group is public too (participation: the roster says who was
//! invited), each hidden cell is also bounded by its group's size, and bounds can pin a
//! cell down: groups A (3 invited) and B (30 invited) hidden, 33 completed in both, means
//! that everyone in A answered. [`participation_mask`] therefore checks, for every hidden cell,
//! the exact range of values consistent with everything published, and hides more until no
//! hidden cell is determined. If every group is already hidden and one still is, the
//! published total itself says it (everybody, or nobody, answered): no breakdown rule can
//! hide that, and the total is kept.
//!
//! Scope: one breakdown at a time. Two breakdowns of the same respondents (by region, then
//! by college), or a cross-tabulation, can be differenced against each other; publish one
//! dimension at a time, and apply the mask of the respondents' breakdown to every figure of
//! that breakdown (per-question rates per group), which is why the masks are exposed.

use serde::Serialize;

/// The smallest group shown, unless configured otherwise (issue 6: "default 5").
pub const DEFAULT_THRESHOLD: u64 = 5;

/// What a breakdown may publish: `hidden[i]` for cell `i`, and whether the total is hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionMask {
    pub hidden: Vec<bool>,
    pub total_hidden: bool,
}

impl SuppressionMask {
    pub fn is_hidden(&self, cell: usize) -> bool {
        self.hidden.get(cell).copied().unwrap_or(true)
    }

    pub fn hidden_count(&self) -> usize {
        self.hidden.iter().filter(|&&h| h).count()
    }
}

/// The cells of a breakdown with a published total (respondents per region, per college…)
/// that must be hidden at threshold `k`. See the module documentation for the rules.
pub fn suppression_mask(counts: &[u64], threshold: u64) -> SuppressionMask {
    let unbounded = vec![u64::MAX; counts.len()];
    mask(counts, &unbounded, threshold)
}

/// Like [`suppression_mask`] for completed invitations per group, when the number invited per
/// group is public: hides also what the group sizes would let one deduce.
///
/// # Panics
/// When a group has more completed than invited.
pub fn participation_mask(groups: &[GroupParticipation], threshold: u64) -> SuppressionMask {
    assert!(
        groups.iter().all(|g| g.completed <= g.invited),
        "a group cannot have more completed than invited"
    );
    let completed: Vec<u64> = groups.iter().map(|g| g.completed).collect();
    let invited: Vec<u64> = groups.iter().map(|g| g.invited).collect();
    mask(&completed, &invited, threshold)
}

/// The common rule; `upper[i]` is the public bound of cell `i` (`u64::MAX` when none).
fn mask(counts: &[u64], upper: &[u64], threshold: u64) -> SuppressionMask {
    // A cell bounded by 0 is empty by construction: nothing to protect, nothing gained by
    // hiding it.
    let public = |i: usize| upper[i] == 0;
    let total: u64 = counts.iter().sum();
    if total < threshold {
        return SuppressionMask {
            hidden: (0..counts.len()).map(|i| !public(i)).collect(),
            total_hidden: true,
        };
    }

    let mut hidden: Vec<bool> = (0..counts.len())
        .map(|i| !public(i) && counts[i] < threshold)
        .collect();
    loop {
        let exposed = exposed_cells(counts, upper, &hidden);
        let hidden_sum: u64 = hidden_values(counts, &hidden).sum();
        let any_hidden = hidden.iter().any(|&h| h);
        if !any_hidden || (hidden_sum >= threshold && exposed == 0) {
            break;
        }
        let mut candidates: Vec<usize> = (0..counts.len())
            .filter(|&i| !hidden[i] && !public(i))
            .collect();
        // Smallest first; among equals, the earlier cell (a stable, explainable choice).
        candidates.sort_by_key(|&i| (counts[i], i));
        let Some(&smallest) = candidates.first() else {
            break; // everything hideable is hidden; what remains is said by the total itself
        };
        // When the sum is already large enough and only bounds pin a cell down, prefer the
        // smallest cell that actually loosens them.
        let choice = if hidden_sum >= threshold {
            candidates
                .iter()
                .copied()
                .find(|&i| {
                    let mut trial = hidden.clone();
                    trial[i] = true;
                    exposed_cells(counts, upper, &trial) < exposed
                })
                .unwrap_or(smallest)
        } else {
            smallest
        };
        hidden[choice] = true;
    }
    SuppressionMask {
        hidden,
        total_hidden: false,
    }
}

fn hidden_values<'a>(counts: &'a [u64], hidden: &'a [bool]) -> impl Iterator<Item = u64> + 'a {
    counts
        .iter()
        .zip(hidden)
        .filter(|(_, h)| **h)
        .map(|(c, _)| *c)
}

/// How many hidden cells are determined exactly by the published figures: the hidden sum
/// (total minus shown cells) and each cell's bounds `[0, upper]`. The values a hidden cell can
/// take, given the others' bounds, are exactly
/// `[max(0, sum − Σ other uppers), min(upper, sum)]`; a cell is exposed when that range is a
/// single value. With no bounds this happens only for a lone hidden cell or a zero sum.
fn exposed_cells(counts: &[u64], upper: &[u64], hidden: &[bool]) -> usize {
    // u128: the "no bound" u64::MAX of several cells adds up without overflow.
    let sum: u128 = hidden_values(counts, hidden).map(u128::from).sum();
    let upper_sum: u128 = upper
        .iter()
        .zip(hidden)
        .filter(|(_, h)| **h)
        .map(|(u, _)| u128::from(*u))
        .sum();
    (0..counts.len())
        .filter(|&i| hidden[i])
        .filter(|&i| {
            let others = upper_sum - u128::from(upper[i]);
            let low = sum.saturating_sub(others);
            let high = u128::from(upper[i]).min(sum);
            low == high
        })
        .count()
}

/// A breakdown cell as published: `count` is `None` when hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedCell {
    pub label: String,
    pub count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedBreakdown {
    pub cells: Vec<PublishedCell>,
    /// `None` when the total is below the threshold.
    pub total: Option<u64>,
}

/// Applies [`suppression_mask`] to labelled cells.
pub fn suppress_breakdown<L: AsRef<str>>(
    cells: &[(L, u64)],
    threshold: u64,
) -> SuppressedBreakdown {
    let counts: Vec<u64> = cells.iter().map(|(_, c)| *c).collect();
    let mask = suppression_mask(&counts, threshold);
    SuppressedBreakdown {
        cells: cells
            .iter()
            .zip(&mask.hidden)
            .map(|((label, count), hidden)| PublishedCell {
                label: label.as_ref().to_owned(),
                count: (!hidden).then_some(*count),
            })
            .collect(),
        total: (!mask.total_hidden).then(|| counts.iter().sum()),
    }
}

/// Participation of one group: `invited` is public (the roster), `completed` is what needs
/// protecting in an anonymous questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupParticipation {
    pub label: String,
    pub invited: u64,
    pub completed: u64,
}

impl GroupParticipation {
    pub fn new(label: impl Into<String>, invited: u64, completed: u64) -> Self {
        Self {
            label: label.into(),
            invited,
            completed,
        }
    }
}

/// A group's participation as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedGroup {
    pub label: String,
    pub invited: u64,
    /// `None` when hidden.
    pub completed: Option<u64>,
    /// `completed / invited`, `None` when hidden or nobody was invited.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipationBreakdown {
    pub groups: Vec<PublishedGroup>,
    pub invited: u64,
    /// `None` when fewer than the threshold completed.
    pub completed: Option<u64>,
}

/// Applies [`participation_mask`] to the groups.
///
/// # Panics
/// When a group has more completed than invited.
pub fn suppress_participation(
    groups: &[GroupParticipation],
    threshold: u64,
) -> ParticipationBreakdown {
    let mask = participation_mask(groups, threshold);
    ParticipationBreakdown {
        groups: groups
            .iter()
            .zip(&mask.hidden)
            .map(|(g, hidden)| {
                let completed = (!hidden).then_some(g.completed);
                PublishedGroup {
                    label: g.label.clone(),
                    invited: g.invited,
                    completed,
                    rate: completed
                        .filter(|_| g.invited > 0)
                        .map(|c| c as f64 / g.invited as f64),
                }
            })
            .collect(),
        invited: groups.iter().map(|g| g.invited).sum(),
        completed: (!mask.total_hidden).then(|| groups.iter().map(|g| g.completed).sum()),
    }
}

#[cfg(test)]
mod tests;
