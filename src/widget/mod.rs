//! Indicator 4's download widget, behind the two public endpoints.
//!
//! - Download counts are accepted in memory (202) and added to the database by the writer
//!   task (`crate::writer`) every `flush_interval` (one upsert per resource and day): a crash loses at most the
//!   counts of that interval, never a rating.
//! - Ratings are queued to the same writer, which takes every rating waiting in the queue,
//!   stores them in one transaction, commits, and only then answers each request (group
//!   commit): a 201 means committed, and thousands of ratings a second cost a few commits.
//! - Visitors are known only by keyed daily hashes of their address (`domain::visitor`),
//!   used by the per-address rate limiter (memory) and for "one rating per visitor, resource
//!   and day" (database, purged after the day).

mod writer;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::config::WidgetSettings;
use crate::domain::QuestionnaireCode;
use crate::domain::answers::ValidAnswers;
use crate::domain::schedule::paris_date;
use crate::domain::visitor::VisitorKeys;
use crate::domain::widget::{RESOURCE_ATTRIBUTE, ResourceId};
use crate::store::StoreError;
use crate::store::widget::{DownloadCount, NewRating};

pub use writer::{Upkeep, flush_downloads, upkeep, write_ratings};

/// The questionnaire the widget asks.
pub const QUESTIONNAIRE: QuestionnaireCode = QuestionnaireCode::I4;

/// Distinct (resource, day) pairs held in memory between two flushes; beyond, 503.
const MAX_PENDING_DOWNLOADS: usize = 100_000;
/// Ratings waiting for the writer; beyond, requests wait for room.
const QUEUE_CAPACITY: usize = 16_384;
/// Longest a rating request waits for its commit before answering 503.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(20);

/// The writer's end of the queue of ratings.
pub type RatingQueue = crate::batches::Batches<RatingJob>;

/// The two rate-limited endpoints, each with its own budget per visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Downloads,
    Ratings,
}

#[derive(Debug, thiserror::Error)]
pub enum RatingError {
    #[error("questionnaire clos")]
    Closed,
    #[error("file d'attente saturée ou arrêt en cours")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
#[error("trop de ressources distinctes en attente d'écriture")]
pub struct DownloadsFull;

/// A rating waiting for the writer, with the way back to its request.
pub struct RatingJob {
    rating: NewRating,
    done: oneshot::Sender<Result<(), RatingError>>,
}

#[derive(Debug, Default)]
struct Pending {
    title: Option<String>,
    theme: Option<String>,
    count: u64,
}

/// Download counts accepted since the last flush.
#[derive(Debug, Default)]
struct PendingDownloads(Mutex<HashMap<(ResourceId, NaiveDate), Pending>>);

impl PendingDownloads {
    fn add(
        &self,
        resource: ResourceId,
        day: NaiveDate,
        title: Option<String>,
        theme: Option<String>,
        count: u64,
    ) -> Result<(), DownloadsFull> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (resource, day);
        if !map.contains_key(&key) && map.len() >= MAX_PENDING_DOWNLOADS {
            return Err(DownloadsFull);
        }
        let entry = map.entry(key).or_default();
        entry.count += count;
        if title.is_some() {
            entry.title = title;
        }
        if theme.is_some() {
            entry.theme = theme;
        }
        Ok(())
    }

    fn take(&self) -> Vec<DownloadCount> {
        let map = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        map.into_iter()
            .map(|((resource, day), pending)| DownloadCount {
                resource,
                day,
                title: pending.title,
                theme: pending.theme,
                count: pending.count,
            })
            .collect()
    }

    /// Puts back counts that could not be written, to try again at the next flush.
    fn restore(&self, counts: Vec<DownloadCount>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for count in counts {
            let entry = map.entry((count.resource, count.day)).or_default();
            entry.count += count.count;
            entry.title = entry.title.take().or(count.title);
            entry.theme = entry.theme.take().or(count.theme);
        }
    }
}

/// The widget's shared state: settings, visitor keys, rate limiter, pending downloads and
/// the queue to the writer.
pub struct Widget {
    pub settings: WidgetSettings,
    keys: VisitorKeys,
    limiter: DefaultKeyedRateLimiter<(Endpoint, u128)>,
    downloads: PendingDownloads,
    queue: mpsc::Sender<RatingJob>,
    clock: Arc<dyn Clock>,
    /// `frame-ancestors` of the pages the website may frame.
    pub frame_ancestors: String,
}

impl std::fmt::Debug for Widget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Widget")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Widget {
    /// Builds the widget and the queue of its ratings, whose other end the writer
    /// (`crate::writer::spawn`) serves.
    pub fn new(settings: WidgetSettings, clock: Arc<dyn Clock>) -> (Arc<Self>, RatingQueue) {
        let keys = match &settings.secret {
            Some(secret) => VisitorKeys::from_secret(secret.expose()),
            None => VisitorKeys::random(),
        };
        let quota = Quota::per_minute(settings.rate_per_minute).allow_burst(settings.burst);
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let frame_ancestors = std::iter::once("'self'")
            .chain(settings.origins.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let widget = Arc::new(Self {
            keys,
            limiter: RateLimiter::keyed(quota),
            downloads: PendingDownloads::default(),
            queue,
            clock,
            frame_ancestors: format!("frame-ancestors {frame_ancestors}"),
            settings,
        });
        (widget, RatingQueue::new(receiver, writer::MAX_BATCH))
    }

    /// The visitor's address: the peer, or what a trusted proxy forwarded.
    pub fn client_address<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        peer.map(|peer| {
            self.settings
                .trusted_proxies
                .client_address(peer, forwarded_for)
        })
    }

    /// `Err(wait)` when the visitor has spent their budget for this endpoint.
    pub fn check_rate(&self, endpoint: Endpoint, address: IpAddr) -> Result<(), Duration> {
        let key = self.keys.limiter_key(self.today(), address);
        self.limiter
            .check_key(&(endpoint, key))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn today(&self) -> NaiveDate {
        paris_date(self.clock.now())
    }

    /// Counts a download now (in memory); the writer adds it to the database shortly.
    pub fn count_download(
        &self,
        resource: ResourceId,
        title: Option<String>,
        theme: Option<String>,
    ) -> Result<(), DownloadsFull> {
        self.downloads.add(resource, self.today(), title, theme, 1)
    }

    /// Queues a checked rating and waits until it is committed.
    pub async fn submit_rating(
        &self,
        resource: &ResourceId,
        address: IpAddr,
        version: &str,
        answers: ValidAnswers,
        mut attributes: Vec<(String, String)>,
    ) -> Result<(), RatingError> {
        let now = self.clock.now();
        attributes.retain(|(key, _)| key != RESOURCE_ATTRIBUTE);
        attributes.push((RESOURCE_ATTRIBUTE.to_owned(), resource.as_str().to_owned()));
        let rating = NewRating {
            visitor_key: self
                .keys
                .rating_key(paris_date(now), address, resource.as_str()),
            submitted_at: now,
            version: version.to_owned(),
            answers,
            attributes,
        };
        let (done, committed) = oneshot::channel();
        let wait = async {
            self.queue
                .send(RatingJob { rating, done })
                .await
                .map_err(|_| RatingError::Busy)?;
            committed.await.map_err(|_| RatingError::Busy)?
        };
        tokio::time::timeout(COMMIT_TIMEOUT, wait)
            .await
            .map_err(|_| RatingError::Busy)?
    }

    fn forget_idle_visitors(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ResourceId {
        ResourceId::parse(s).unwrap()
    }

    #[test]
    fn pending_downloads_aggregate_and_keep_the_latest_title() {
        let pending = PendingDownloads::default();
        let day = NaiveDate::from_ymd_opt(2026, 3, 16).unwrap();
        pending
            .add(id("a"), day, Some("Guide".into()), None, 1)
            .unwrap();
        pending
            .add(id("a"), day, None, Some("TMS".into()), 1)
            .unwrap();
        pending
            .add(id("a"), day, Some("Guide 2".into()), None, 1)
            .unwrap();
        pending.add(id("b"), day, None, None, 1).unwrap();
        let mut taken = pending.take();
        taken.sort_by(|x, y| x.resource.cmp(&y.resource));
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].count, 3);
        assert_eq!(taken[0].title.as_deref(), Some("Guide 2"));
        assert_eq!(taken[0].theme.as_deref(), Some("TMS"));
        assert!(pending.take().is_empty());
        // Counts that could not be written come back and add up with new ones.
        pending.add(id("a"), day, None, None, 2).unwrap();
        pending.restore(taken);
        let again = pending.take();
        let a = again.iter().find(|c| c.resource == id("a")).unwrap();
        assert_eq!(a.count, 5);
        assert_eq!(a.title.as_deref(), Some("Guide 2"));
    }
}
