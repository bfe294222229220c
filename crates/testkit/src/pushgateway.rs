//! A real Prometheus Pushgateway for the tests of what the tools push.

/// A real Prometheus Pushgateway (Debian's `prometheus-pushgateway`, which
/// `scripts/test.sh` installs) on a free loopback port; killed
/// when dropped.
pub struct Pushgateway {
    child: std::process::Child,
    pub url: String,
}

impl Pushgateway {
    pub fn start() -> Pushgateway {
        let bin = "prometheus-pushgateway";
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()));
        assert!(
            found,
            "`{bin}` is not on PATH: this test needs a real Pushgateway \
             (apt-get install prometheus-pushgateway, or scripts/test.sh)"
        );
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = std::process::Command::new(bin)
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if http_get(port, "/-/ready")
                    .is_some_and(|r| r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200"))
                {
                    return Pushgateway {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                    };
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("prometheus-pushgateway did not come up on a loopback port");
    }

    /// The gateway's /metrics response (headers included).
    pub fn metrics(&self) -> String {
        http_get(self.port(), "/metrics").expect("the Pushgateway's /metrics")
    }

    fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    /// The value of metric `name` in the group `stage`.
    pub fn value(&self, name: &str, stage: &str) -> Option<f64> {
        let port: u16 = self.url.rsplit(':').next()?.parse().ok()?;
        let text = http_get(port, "/metrics")?;
        let stage_label = format!("stage=\"{stage}\"");
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{")) && l.contains(&stage_label))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    }
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET on loopback (the whole response, headers included).
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}
