//! A submission load: concurrent clients answering personal links, half through the JSON
//! API (201), half through the form (303), recording what was acknowledged.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jalon::domain::QuestionnaireCode;

use crate::server::{form_body, valid_answers};

/// Fails unless every answer in `statuses` is 201, 303 or 503: what a load meeting a fault
/// may get, never a 500.
pub fn assert_acknowledged_or_unavailable(statuses: &BTreeMap<u16, usize>) {
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|(status, _)| ![201, 303, 503].contains(*status))
        .collect();
    assert!(unexpected.is_empty(), "statuses: {statuses:?}");
}

#[derive(Default)]
pub struct Tally {
    /// Token → how many times a submission of it was acknowledged (201 or 303).
    pub acknowledged: HashMap<String, usize>,
    /// Status → count; `0` for a request without an answer (connection lost).
    pub statuses: BTreeMap<u16, usize>,
}

pub struct Load {
    pub tally: Arc<Mutex<Tally>>,
    pub acks: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// `clients` concurrent clients; each takes the next token of `tokens` and submits it to
    /// each of `addresses` in turn (two instances: the same link sent to both), pausing
    /// `pause` between requests.
    pub fn start(
        addresses: Vec<String>,
        tokens: Vec<String>,
        clients: usize,
        pause: Duration,
    ) -> Self {
        Self::spawn(addresses, tokens, clients, pause, false)
    }

    /// The same, sending a request again (a few times, after a pause) when it is answered
    /// 503: a client honouring `Retry-After` while a loaded machine makes the server shed
    /// load. Only where the test is not about the 503s themselves.
    pub fn start_patient(
        addresses: Vec<String>,
        tokens: Vec<String>,
        clients: usize,
        pause: Duration,
    ) -> Self {
        Self::spawn(addresses, tokens, clients, pause, true)
    }

    fn spawn(
        addresses: Vec<String>,
        tokens: Vec<String>,
        clients: usize,
        pause: Duration,
        patient: bool,
    ) -> Self {
        let answers = valid_answers(QuestionnaireCode::I3_1);
        let form = form_body(&answers);
        let next = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(tokens);
        let addresses = Arc::new(addresses);
        let tally = Arc::new(Mutex::new(Tally::default()));
        let acks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let workers = (0..clients)
            .map(|_| {
                let (next, tokens, addresses) = (next.clone(), tokens.clone(), addresses.clone());
                let (tally, acks, stop) = (tally.clone(), acks.clone(), stop.clone());
                let (client, answers, form) = (client.clone(), answers.clone(), form.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(token) = tokens.get(i) else { return };
                        let sends = addresses.iter().map(|address| {
                            let request = if i % 2 == 0 {
                                client
                                    .post(format!("{address}/api/v1/responses/{token}"))
                                    .json(&answers)
                            } else {
                                client
                                    .post(format!("{address}/r/{token}"))
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .body(form.clone())
                            };
                            tokio::spawn(async move {
                                if patient {
                                    send_retrying_overload(request).await
                                } else {
                                    request.send().await
                                }
                            })
                        });
                        let sends: Vec<_> = sends.collect();
                        let mut results = Vec::with_capacity(sends.len());
                        for send in sends {
                            results.push(send.await.expect("request task"));
                        }
                        {
                            let mut tally = tally.lock().unwrap();
                            for result in results {
                                let status = result.map(|r| r.status().as_u16()).unwrap_or(0);
                                *tally.statuses.entry(status).or_default() += 1;
                                if status == 201 || status == 303 {
                                    *tally.acknowledged.entry(token.clone()).or_default() += 1;
                                    acks.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                        tokio::time::sleep(pause).await;
                    }
                })
            })
            .collect();
        Load {
            tally,
            acks,
            stop,
            workers,
        }
    }

    pub fn acks(&self) -> usize {
        self.acks.load(Ordering::SeqCst)
    }

    /// How many requests were answered `status` so far.
    pub fn count(&self, status: u16) -> usize {
        let tally = self.tally.lock().unwrap();
        tally.statuses.get(&status).copied().unwrap_or(0)
    }

    /// Waits until `status` was answered at least once.
    pub async fn wait_for_status(&self, status: u16, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.count(status) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {status} within {within:?}: {:?}",
                self.tally.lock().unwrap().statuses
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn wait_for_acks(&self, n: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.acks() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} acknowledged submissions within {within:?}",
                self.acks()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the clients (each finishes the request it is sending) and returns the tally.
    pub async fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            worker.await.unwrap();
        }
        Arc::try_unwrap(self.tally)
            .ok()
            .expect("no client left")
            .into_inner()
            .unwrap()
    }
}

/// Sends `request`; a 503 answered while the server is overloaded (nothing was stored) is
/// sent again a few times after a pause, as a real client honouring `Retry-After` would. A
/// 503 that lasts (the database is down) is returned as is.
async fn send_retrying_overload(
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    for _ in 0..4 {
        let Some(attempt) = request.try_clone() else {
            break;
        };
        let response = attempt.send().await?;
        if response.status() != 503 {
            return Ok(response);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    request.send().await
}
