//! `GET /api/events`: core's events (job, queue, scaling, schedule, health) as server-sent
//! events. Each gets an increasing id; the latest [`REPLAY`] are kept, so a client that
//! reconnects with `Last-Event-ID` receives what it missed, or a `missed` event saying how
//! many are gone when it was away too long.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use antrian_core::queue::QueueEvent;
use antrian_core::runtime::Handle;
use antrian_core::CancellationToken;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::Counters;
use crate::AppState;

/// Events kept for clients that reconnect.
pub const REPLAY: usize = 1000;

/// An event with its id (0: an event of this stream only, such as `missed`).
type Numbered = (u64, Arc<QueueEvent>);

/// Core events numbered, kept and fanned out to SSE clients.
#[derive(Debug)]
pub struct Feed {
    kept: Mutex<VecDeque<Numbered>>,
    tx: broadcast::Sender<Numbered>,
    /// Ends every stream when the server stops (graceful shutdown waits for them).
    stop: CancellationToken,
}

impl Feed {
    /// Starts numbering `rt`'s events (and counting them into `counters`) until `cancel`.
    pub fn start(rt: &Handle, counters: Arc<Counters>, cancel: CancellationToken) -> Arc<Self> {
        let (tx, _) = broadcast::channel(4096);
        let feed = Arc::new(Self {
            kept: Mutex::new(VecDeque::with_capacity(REPLAY)),
            tx,
            stop: cancel.clone(),
        });
        let mut sub = rt.events.subscribe();
        let f = feed.clone();
        tokio::spawn(async move {
            let mut next = 1u64;
            loop {
                let event = tokio::select! {
                    () = cancel.cancelled() => return,
                    e = sub.recv() => match e { Some(e) => e, None => return },
                };
                counters.count(&event);
                let item = (next, Arc::new(event));
                next += 1;
                {
                    let mut kept = f
                        .kept
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if kept.len() == REPLAY {
                        kept.pop_front();
                    }
                    kept.push_back(item.clone());
                }
                let _ = f.tx.send(item);
            }
        });
        feed
    }

    /// Kept events after `last` and the live stream from then on, without gaps or
    /// repeats; a `missed` event first when some after `last` are no longer kept.
    fn since(&self, last: Option<u64>) -> (Vec<Numbered>, broadcast::Receiver<Numbered>) {
        let rx = self.tx.subscribe();
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(last) = last else {
            return (Vec::new(), rx);
        };
        let mut out = Vec::new();
        if let Some((oldest, _)) = kept.front() {
            if *oldest > last + 1 {
                out.push((
                    0,
                    Arc::new(QueueEvent::Missed {
                        count: oldest - last - 1,
                    }),
                ));
            }
        }
        out.extend(kept.iter().filter(|(id, _)| *id > last).cloned());
        (out, rx)
    }
}

fn sse_event(id: u64, event: &QueueEvent) -> Event {
    let name = serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or_else(|| "event".into());
    let e = Event::default()
        .event(name)
        .json_data(event)
        .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
    if id == 0 {
        e
    } else {
        e.id(id.to_string())
    }
}

#[utoipa::path(get, path = "/api/events", tag = "events", summary = "Core events as server-sent events (job:*, queue:*, scaling:*, schedule:fired, health:check); send Last-Event-ID to resume", responses((status = 200, description = "An event stream: `event:` is the event name, `data:` its JSON, `id:` its number", content_type = "text/event-stream", body = String)))]
pub(crate) async fn stream_events(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let (replay, rx) = state.feed.since(last);
    let mut seen = replay.last().map_or(last.unwrap_or(0), |(id, _)| *id);
    let replay = stream::iter(replay.into_iter().map(|(id, e)| Ok(sse_event(id, &e))));
    let live = stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(item) => Some((item, rx)),
            Err(broadcast::error::RecvError::Lagged(count)) => {
                Some(((0, Arc::new(QueueEvent::Missed { count })), rx))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
    .filter_map(move |(id, e)| {
        // Skip what the replay already sent.
        let out = if id != 0 && id <= seen {
            None
        } else {
            if id != 0 {
                seen = id;
            }
            Some(Ok(sse_event(id, &e)))
        };
        async move { out }
    });
    let stop = state.feed.stop.clone();
    let events = replay
        .chain(live)
        .take_until(async move { stop.cancelled().await });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// `GET /api/events`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}
