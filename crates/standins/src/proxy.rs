//! An HTTP proxy on loopback that opens `CONNECT` tunnels and records each
//! one, so that a test can show a tool went through the proxy (or, with
//! `NO_PROXY`, did not).
//!
//! Every host name a client asks for resolves to 127.0.0.1 here: the proxy
//! is the only one that resolves names, as with a real proxy in front of a
//! private network, so a test can give a cluster a name that only the proxy
//! knows (`kube.proxied.test`) and be sure a direct connection can't reach
//! it. IP addresses are used as they are. Anything but `CONNECT` gets 405.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One tunnel the proxy was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// `host:port` as the client wrote it.
    pub target: String,
    /// The client sent a `Proxy-Authorization` header.
    pub authorized: bool,
}

/// A running proxy (threads end with the process).
pub struct ConnectProxy {
    port: u16,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
}

impl ConnectProxy {
    pub fn start() -> io::Result<ConnectProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let tunnels: Arc<Mutex<Vec<Tunnel>>> = Arc::default();
        let log = tunnels.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &log);
                });
            }
        });
        Ok(ConnectProxy { port, tunnels })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY` or a `proxy-url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

/// The request head, read byte by byte so that nothing of the tunnelled
/// stream is consumed.
fn read_head(conn: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 || head.len() > 64 * 1024 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn serve(mut conn: TcpStream, log: &Mutex<Vec<Tunnel>>) -> io::Result<()> {
    let head = read_head(&mut conn)?;
    let mut words = head.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        return conn.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    };
    let authorized = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("proxy-authorization:"));
    if let Ok(mut t) = log.lock() {
        t.push(Tunnel {
            target: target.to_owned(),
            authorized,
        });
    }
    let (host, port) = target.rsplit_once(':').unwrap_or((target, "443"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = host
        .parse::<std::net::IpAddr>()
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    let Ok(port) = port.parse::<u16>() else {
        return conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    };
    let Ok(upstream) = TcpStream::connect((ip, port)) else {
        return conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    };
    conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut c_read, mut u_write) = (conn.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, conn);
    let _ = io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}
