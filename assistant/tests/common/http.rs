//! A loopback HTTP server serving one payload, with `Range` support and an
//! optional throttle, for download and resume tests. It listens on 127.0.0.1
//! only and lives until the test process ends.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Server {
    pub url: String,
    /// The `Range` header of each request (empty when none was sent).
    pub ranges: Arc<Mutex<Vec<String>>>,
}

/// Serves `payload` at `<url>`; with `throttle`, sends 64 KiB then sleeps that long.
pub fn serve(payload: Vec<u8>, throttle: Option<Duration>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/model.bin", listener.local_addr().unwrap());
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    let payload = Arc::new(payload);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let payload = payload.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut range = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                        range = value.trim().to_string();
                    }
                }
                seen.lock().unwrap().push(range.clone());
                let start: usize = range.split('-').next().and_then(|s| s.parse().ok()).unwrap_or(0).min(payload.len());
                let mut stream = stream;
                let head = if start > 0 {
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
                        payload.len() - start,
                        start,
                        payload.len() - 1,
                        payload.len()
                    )
                } else {
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", payload.len())
                };
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for chunk in payload[start..].chunks(64 * 1024) {
                    if stream.write_all(chunk).is_err() {
                        return;
                    }
                    if let Some(pause) = throttle {
                        std::thread::sleep(pause);
                    }
                }
            });
        }
    });
    Server { url, ranges }
}
