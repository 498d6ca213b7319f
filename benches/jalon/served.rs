//! The ceiling served over HTTP: the minimal writer of `crate::ceiling` behind the same
//! framework as jalon (actix-web, its default workers, on a Tokio runtime), answering
//! `POST /api/v1/responses/{id}` with the same JSON body as jalon's API. Each request's body
//! is parsed, queued, written in a transaction with every request waiting (group commit, as
//! jalon's writer does), and answered 201 once committed. Nothing else: no lookup of the link
//! (the path carries the invitation's id), no check of the answers, no middleware, no derived
//! count. What it reaches is the most a server built on these parts, with as many writers,
//! can reach on this machine: how much of the storage's ceiling HTTP and a queue already
//! take. It runs as many writers as jalon does (`jalon::writer::answer_writers`): one on
//! SQLite, two on PostgreSQL.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use jalon::batches::Batches;
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::ceiling::{self, Sample};

/// The most responses of one transaction: the best ceiling's size.
const MAX_BATCH: usize = 64;

/// A request's submission: its link, and the way back once committed.
type Job = (Uuid, oneshot::Sender<()>);

/// The body jalon's API takes: answers by question id. Parsed, not checked.
#[derive(serde::Deserialize)]
struct Body {
    answers: BTreeMap<String, serde_json::Value>,
}

/// The served ceiling, listening on loopback until dropped.
pub struct Served {
    pub base: String,
    server: actix_web::dev::ServerHandle,
    runtime: tokio::runtime::Handle,
}

impl Served {
    /// Starts the server and its `writers` on `runtime`, writing `sample`'s rows on `url`.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        url: &str,
        sample: Arc<Sample>,
        writers: u32,
    ) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let url = url.to_owned();
        let server = runtime.block_on(async move {
            let db = jalon::store::connect(&url, writers)
                .await
                .expect("database reachable");
            let (queue, jobs) = mpsc::channel::<Job>(8_192);
            let jobs = Batches::new(jobs, MAX_BATCH);
            for _ in 0..writers {
                tokio::spawn(write_batches(db.clone(), sample.clone(), jobs.clone()));
            }
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(queue.clone()))
                    .route("/api/v1/responses/{id}", web::post().to(submit))
            })
            .disable_signals()
            .listen(listener)
            .expect("listening")
            .run();
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        Served {
            base,
            server,
            runtime: runtime.handle().clone(),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // The writers end when the server's workers drop the last sender.
        self.runtime.block_on(self.server.stop(true));
    }
}

async fn submit(
    queue: web::Data<mpsc::Sender<Job>>,
    id: web::Path<Uuid>,
    body: web::Json<Body>,
) -> HttpResponse {
    let (done, committed) = oneshot::channel();
    if queue.send((*id, done)).await.is_err() || committed.await.is_err() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Created()
        .json(serde_json::json!({ "status": "recorded", "answers": body.answers.len() }))
}

/// Takes every submission waiting (at most [`MAX_BATCH`]), writes them in one transaction,
/// then answers each. Writers take their batches in turn from jalon's own queue type.
async fn write_batches(db: DatabaseConnection, sample: Arc<Sample>, jobs: Batches<Job>) {
    while let Some(batch) = jobs.next_batch().await {
        let ids: Vec<Uuid> = batch.iter().map(|(id, _)| *id).collect();
        ceiling::write(&db, &sample, &ids).await;
        for (_, done) in batch {
            let _ = done.send(());
        }
    }
    db.close().await.ok();
}
