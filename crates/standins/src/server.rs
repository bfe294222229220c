//! Running an axum router on loopback in a background thread with its own
//! tokio runtime, so that blocking tests and tools can talk to it.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// A stand-in server running in the background; stops when dropped.
pub struct RunningServer {
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` when served by [`spawn_tls`]; no
    /// trailing slash).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `router` on `addr` (use `127.0.0.1:0` for a free port) in a
/// background thread. Returns once the socket is bound.
pub fn spawn(router: axum::Router, addr: SocketAddr) -> std::io::Result<RunningServer> {
    in_background(addr, "http", move |listener, stop| {
        Box::pin(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(stop);
            if let Err(e) = serve.await {
                tracing::error!("stand-in stopped: {e}");
            }
        })
    })
}

type ServeFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Binds `addr`, then runs the future `serve(listener, stop)` makes on a
/// tokio runtime of its own in a background thread; `stop` completes when
/// the returned server is dropped.
fn in_background(
    addr: SocketAddr,
    scheme: &'static str,
    serve: impl FnOnce(tokio::net::TcpListener, ServeFuture) -> ServeFuture + Send + 'static,
) -> std::io::Result<RunningServer> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let thread = std::thread::Builder::new()
        .name(format!("standin-{scheme}-{addr}"))
        .spawn(move || {
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("stand-in cannot listen: {e}");
                        return;
                    }
                };
                let stop: ServeFuture = Box::pin(async move {
                    let _ = rx.await;
                });
                serve(listener, stop).await;
            });
            // Don't wait for streaming handlers that are still sleeping.
            rt.shutdown_background();
        })?;
    Ok(RunningServer {
        addr,
        scheme,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// Loopback with an OS-chosen port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Serves `router` over HTTPS (HTTP/1.1) on `addr` in a background thread,
/// with the certificate and key of `tls`. TLS handshakes run in their own
/// tasks, so a client that fails its handshake (wrong CA) or stalls in it
/// doesn't hold up the others. Returns once the socket is bound.
pub fn spawn_tls(
    router: axum::Router,
    addr: SocketAddr,
    tls: std::sync::Arc<tokio_rustls::rustls::ServerConfig>,
) -> std::io::Result<RunningServer> {
    in_background(addr, "https", move |listener, stop| {
        Box::pin(async move {
            let listener = TlsListener::start(listener, tls);
            let serve = axum::serve(listener, router).with_graceful_shutdown(stop);
            if let Err(e) = serve.await {
                tracing::error!("stand-in stopped: {e}");
            }
        })
    })
}

/// An axum listener handing out TLS streams whose handshake has completed.
struct TlsListener {
    local: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(
        tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
        SocketAddr,
    )>,
}

impl TlsListener {
    fn start(
        listener: tokio::net::TcpListener,
        tls: std::sync::Arc<tokio_rustls::rustls::ServerConfig>,
    ) -> TlsListener {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (ready_tx, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!("stand-in accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = ready_tx.clone();
                tokio::spawn(async move {
                    match acceptor.accept(tcp).await {
                        Ok(stream) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Err(e) => tracing::debug!("stand-in TLS handshake with {peer} failed: {e}"),
                    }
                });
                if ready_tx.is_closed() {
                    return;
                }
            }
        });
        TlsListener { local, ready }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(x) => x,
            // The accept loop only ends when this receiver is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
