//! A loopback HTTP server that records the `Authorization` header (and the
//! request line) of every request and answers each with a fixed body. Small
//! on purpose: curl and our tools must both be able to talk to it, and a
//! test must see exactly what went over the wire.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub request_line: String,
    pub authorization: Option<String>,
}

pub struct Recorder {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// Starts serving `body` (with status 200) on 127.0.0.1.
    pub fn start(body: &'static str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let Ok(read_half) = conn.try_clone() else {
                    continue;
                };
                let mut reader = BufReader::new(read_half);
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut authorization = None;
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        let v = v.trim().to_owned();
                        if k.eq_ignore_ascii_case("authorization") {
                            authorization = Some(v);
                        } else if k.eq_ignore_ascii_case("content-length") {
                            length = v.parse().unwrap_or(0);
                        }
                    }
                }
                let mut discard = vec![0; length];
                let _ = std::io::Read::read_exact(&mut reader, &mut discard);
                log.lock().unwrap().push(Seen {
                    request_line: request_line.trim_end().to_owned(),
                    authorization,
                });
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder { port, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
