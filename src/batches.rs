//! The receiving end of a queue from which writer tasks take their work a batch at a time:
//! the answers' writers (`crate::submissions`, several on PostgreSQL) and the widget's
//! ratings (`crate::widget`).

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, watch};

/// The receiving end of a queue, shared by the tasks that take batches from it.
pub struct Batches<T> {
    queue: Arc<Mutex<mpsc::Receiver<T>>>,
    /// Items in one batch at most.
    max: usize,
    /// Set by [`Batches::close`]: wakes the taker that holds the queue while it waits for an
    /// item, so that closing never waits for one to come.
    closing: Arc<watch::Sender<bool>>,
}

impl<T> Clone for Batches<T> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            max: self.max,
            closing: self.closing.clone(),
        }
    }
}

impl<T> Batches<T> {
    pub fn new(receiver: mpsc::Receiver<T>, max: usize) -> Self {
        Self {
            queue: Arc::new(Mutex::new(receiver)),
            max,
            closing: Arc::new(watch::Sender::new(false)),
        }
    }

    /// The next batch: the first item to come and every one already waiting behind it,
    /// `max` at most. `None` once the queue is closed and empty. Cancel-safe: a batch
    /// is taken whole or not at all.
    pub async fn next_batch(&self) -> Option<Vec<T>> {
        let mut closing = self.closing.subscribe();
        let mut queue = self.queue.lock().await;
        let first = tokio::select! {
            biased;
            item = queue.recv() => item?,
            () = async {
                // The value's guard must not live across the `recv` below.
                let _ = closing.wait_for(|closing| *closing).await;
            } => {
                queue.close();
                queue.recv().await?
            }
        };
        let mut batch = vec![first];
        while batch.len() < self.max {
            match queue.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// Refuses new items; those queued can still be taken.
    pub async fn close(&self) {
        self.closing.send_replace(true);
        self.queue.lock().await.close();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use std::time::Duration;

    use super::*;

    const QUEUE_CAPACITY: usize = 8_192;
    const MAX_BATCH: usize = 512;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn several_takers_get_every_item_once_in_bounded_batches() {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let queue = Batches::new(receiver, MAX_BATCH);
        let takers: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let mut taken = Vec::new();
                    while let Some(batch) = queue.next_batch().await {
                        assert!((1..=MAX_BATCH).contains(&batch.len()));
                        taken.extend(batch);
                    }
                    taken
                })
            })
            .collect();
        let senders: Vec<_> = (0..4u32)
            .map(|n| {
                let sender = sender.clone();
                tokio::spawn(async move {
                    for i in 0..5_000u32 {
                        sender.send(n * 5_000 + i).await.unwrap();
                    }
                })
            })
            .collect();
        drop(sender);
        for task in senders {
            task.await.unwrap();
        }
        let mut all = Vec::new();
        for task in takers {
            all.extend(task.await.unwrap());
        }
        assert_eq!(all.len(), 20_000, "each item taken once");
        assert_eq!(all.into_iter().collect::<BTreeSet<_>>().len(), 20_000);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_wakes_a_taker_waiting_on_an_empty_queue() {
        let (_sender, receiver) = mpsc::channel::<u32>(QUEUE_CAPACITY);
        let queue = Batches::new(receiver, MAX_BATCH);
        let waiting = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next_batch().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::time::timeout(Duration::from_secs(5), queue.close())
            .await
            .expect("closing does not wait for an item");
        assert_eq!(waiting.await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_closed_queue_still_gives_what_it_holds_then_none() {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let queue = Batches::new(receiver, MAX_BATCH);
        for i in 0..(MAX_BATCH + 3) {
            sender.send(i).await.unwrap();
        }
        queue.close().await;
        assert!(sender.send(0).await.is_err(), "closed to new items");
        assert_eq!(queue.next_batch().await.map(|b| b.len()), Some(MAX_BATCH));
        assert_eq!(
            queue.next_batch().await,
            Some(vec![MAX_BATCH, MAX_BATCH + 1, MAX_BATCH + 2])
        );
        assert_eq!(queue.next_batch().await, None);
    }
}
