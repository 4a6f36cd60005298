//! A shutdown flag shared by the servers, the readiness check and signal handling.

use std::sync::Arc;

use tokio::sync::watch;

/// Cloneable handle that is triggered once and stays triggered.
///
/// A `watch` channel rather than a plain flag so that tasks can both poll it
/// (readiness answers 503 at once) and await it (servers start draining).
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Starts shutdown; triggering again is harmless.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Whether shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once shutdown has started (at once if it already has).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // Cannot fail: `self` keeps the sender alive.
        let _ = rx.wait_for(|triggered| *triggered).await;
    }
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends), then triggers
/// `shutdown`. Run it as a task; if a handler cannot be installed it triggers at once
/// rather than leaving a service that cannot be stopped cleanly.
pub async fn signal(shutdown: Shutdown) {
    let name = wait_for_signal().await;
    tracing::info!(signal = name, "shutdown requested");
    shutdown.trigger();
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};

    let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot install signal handlers");
            return "none (handler installation failed)";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    match tokio::signal::ctrl_c().await {
        Ok(()) => "Ctrl-C",
        Err(e) => {
            tracing::error!(error = %e, "cannot install Ctrl-C handler");
            "none (handler installation failed)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn trigger_is_seen_by_every_clone_and_wakes_waiters() {
        let shutdown = Shutdown::new();
        let clone = shutdown.clone();
        assert!(!clone.is_shutting_down());

        let waiter = tokio::spawn(async move { clone.wait().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "must wait until triggered");

        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(shutdown.is_shutting_down());
        // Late waiters return at once.
        tokio::time::timeout(Duration::from_millis(100), shutdown.wait())
            .await
            .unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn sigterm_triggers_shutdown() {
        // Installing a SIGTERM handler here first means the signal can never hit the
        // default action (killing the whole test binary), however the task is scheduled.
        let _guard = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        let shutdown = Shutdown::new();
        let task = tokio::spawn(signal(shutdown.clone()));
        // Let the task subscribe before the signal arrives, so it is the one woken.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert!(shutdown.is_shutting_down());
    }
}
