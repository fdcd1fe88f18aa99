//! Stopping on request: SIGTERM or Ctrl-C asks a run to stop at the next batch boundary, so
//! that what it wrote is whole; a second signal stops the process at once (a killed run is
//! mended by the next one, like any kill).

use tokio::sync::watch;
use tracing::warn;

/// A stop request that runs check between batches. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// The side that asks for the stop.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

impl ShutdownTrigger {
    /// Asks every run holding the matching [`Shutdown`] to stop at its next batch boundary.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

impl Shutdown {
    /// A stop request and the trigger that sets it.
    pub fn new() -> (ShutdownTrigger, Self) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx }, Self { rx })
    }

    /// A request that never comes.
    pub fn never() -> Self {
        Self::new().1
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when a stop is asked for (never, if its trigger is gone without asking).
    pub async fn requested(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Listens for SIGTERM and Ctrl-C in the background: the first asks for a clean stop, the
    /// second ends the process with status 130.
    pub fn on_signals() -> Self {
        let (trigger, shutdown) = Self::new();
        tokio::spawn(async move {
            let mut count = 0;
            loop {
                let name = next_signal().await;
                count += 1;
                if count == 1 {
                    warn!(
                        signal = name,
                        "stopping after the batch in progress; send it again to stop now"
                    );
                    trigger.trigger();
                } else {
                    warn!(signal = name, "stopping now");
                    std::process::exit(130);
                }
            }
        });
        shutdown
    }
}

#[cfg(unix)]
async fn next_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
async fn next_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}
