//! The one lifecycle of every stand-in: serving on loopback (plain HTTP or
//! HTTPS, see [`Listen`]) in a background thread with its own tokio runtime,
//! so that blocking tests and tools can talk to it, until the returned
//! [`RunningServer`] is dropped. An axum router is served by [`spawn_router`];
//! a stand-in that must be able to close a connection without answering
//! (which a router can't) hands a hyper service to [`spawn_service`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::Full;
use tokio::sync::oneshot;
use tokio_rustls::rustls::ServerConfig;

use crate::tls::TestCa;

/// Where a stand-in listens, and whether it serves HTTPS.
#[derive(Clone)]
pub struct Listen {
    /// `127.0.0.1:0` (a free port) by default.
    pub addr: SocketAddr,
    /// Serve HTTPS (HTTP/1.1) with this configuration.
    pub tls: Option<Arc<ServerConfig>>,
}

impl Default for Listen {
    fn default() -> Self {
        Listen {
            addr: loopback(),
            tls: None,
        }
    }
}

impl Listen {
    /// Plain HTTP on `addr`.
    pub fn on(addr: SocketAddr) -> Listen {
        Listen { addr, tls: None }
    }

    /// HTTPS with a certificate for `127.0.0.1`, `::1` and `localhost`
    /// issued by `ca`.
    pub fn tls(self, ca: &TestCa) -> std::io::Result<Listen> {
        let tls = ca.server_config().map_err(std::io::Error::other)?;
        Ok(Listen {
            tls: Some(tls),
            ..self
        })
    }
}

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

/// Serves `router` as `listen` says in a background thread. Returns once
/// the socket is bound. TLS handshakes run in their own tasks, so a client
/// that fails its handshake (wrong CA) or stalls in it doesn't hold up the
/// others.
pub fn spawn_router(router: axum::Router, listen: Listen) -> std::io::Result<RunningServer> {
    in_background(&listen.clone(), move |listener, stop| {
        Box::pin(async move {
            let served = match listen.tls {
                None => {
                    axum::serve(listener, router)
                        .with_graceful_shutdown(stop)
                        .await
                }
                Some(tls) => {
                    let listener = TlsListener::start(listener, tls);
                    axum::serve(listener, router)
                        .with_graceful_shutdown(stop)
                        .await
                }
            };
            if let Err(e) = served {
                tracing::error!("stand-in stopped: {e}");
            }
        })
    })
}

/// Serves `router` over plain HTTP on `addr` (use [`loopback`] for a free
/// port); see [`spawn_router`].
pub fn spawn(router: axum::Router, addr: SocketAddr) -> std::io::Result<RunningServer> {
    spawn_router(router, Listen::on(addr))
}

/// What [`spawn_service`] serves: a request in, a response or an error out;
/// an error closes the connection without an answer.
pub type ServiceResult<E> = Result<hyper::Response<Full<Bytes>>, E>;

/// Serves the hyper service `service` (HTTP/1, one call per request) as
/// `listen` says, in a background thread. Returns once the socket is bound.
pub fn spawn_service<F, Fut, E>(listen: Listen, service: F) -> std::io::Result<RunningServer>
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ServiceResult<E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    in_background(&listen.clone(), move |listener, stop| {
        Box::pin(async move {
            match listen.tls {
                None => serve_connections(listener, service, stop).await,
                Some(tls) => {
                    serve_connections(TlsListener::start(listener, tls), service, stop).await;
                }
            }
        })
    })
}

/// Accepts connections until `stop`, each served in its own task.
async fn serve_connections<L, F, Fut, E>(mut listener: L, service: F, mut stop: ServeFuture)
where
    L: axum::serve::Listener,
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ServiceResult<E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    loop {
        let io = tokio::select! {
            () = &mut stop => return,
            (io, _) = listener.accept() => io,
        };
        let svc = hyper::service::service_fn(service.clone());
        tokio::spawn(async move {
            // An error here is a dropped connection (on purpose or the
            // client's); there is nobody to tell.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(io), svc)
                .await;
        });
    }
}

type ServeFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Binds `listen.addr`, then runs the future `serve(listener, stop)` makes
/// on a tokio runtime of its own in a background thread; `stop` completes
/// when the returned server is dropped.
fn in_background(
    listen: &Listen,
    serve: impl FnOnce(tokio::net::TcpListener, ServeFuture) -> ServeFuture + Send + 'static,
) -> std::io::Result<RunningServer> {
    let scheme = if listen.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let std_listener = std::net::TcpListener::bind(listen.addr)?;
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

/// The `--listen` option of the stand-in programs.
#[derive(Debug, Clone, clap::Args)]
pub struct ListenArg {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// For the stand-in programs: prints `url` on the first line of stdout
/// (what a script reads to find the stand-in) and serves until killed.
pub fn announce_and_serve(url: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    writeln!(out, "{url}")?;
    out.flush()?;
    tracing::info!("listening on {url}");
    loop {
        std::thread::park();
    }
}

/// Loopback with an OS-chosen port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Serves `router` over HTTPS on `addr` with the certificate and key of
/// `tls`; see [`spawn_router`].
pub fn spawn_tls(
    router: axum::Router,
    addr: SocketAddr,
    tls: Arc<ServerConfig>,
) -> std::io::Result<RunningServer> {
    spawn_router(
        router,
        Listen {
            addr,
            tls: Some(tls),
        },
    )
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
    fn start(listener: tokio::net::TcpListener, tls: Arc<ServerConfig>) -> TlsListener {
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
