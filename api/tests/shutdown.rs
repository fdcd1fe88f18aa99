//! The server binary as operators run it: JSON logs on request, each request's log lines
//! carrying its id, and a graceful stop on SIGTERM that finishes the request in flight, takes
//! no new ones, and exits cleanly.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the server if a test fails before it stops.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a fresh SQLite file with the bundled sample; returns it, its port and
/// its log lines.
fn start(dir: &std::path::Path) -> (Server, u16, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sixpotify-api"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/catalog.db", dir.display()),
        )
        .env("SIXPOTIFY_ADDR", "127.0.0.1:0")
        .env("SIXPOTIFY_LOG_FORMAT", "json")
        .env("SIXPOTIFY_SHUTDOWN_TIMEOUT", "20s")
        .env("RUST_LOG", "warn,sixpotify_api=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server says where it listens");
        let log: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        if let Some(url) = log["url"].as_str() {
            let port = url
                .trim_start_matches("http://127.0.0.1:")
                .trim_end_matches("/graphql")
                .parse()
                .expect("a port");
            return (server, port, rx);
        }
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut server, port, logs) = start(dir.path());

    // A client in the middle of sending its request when the stop comes.
    let body = br#"{"query": "{ searchArtists(query: \"bts\", first: 1) { name } }"}"#;
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    write!(
        slow,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: slow-client-1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("sends headers");
    slow.write_all(&body[..10])
        .expect("sends the start of the body");
    std::thread::sleep(Duration::from_millis(300));

    let pid = server.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));

    // No new request is served once the stop began.
    let refused = match TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    ) {
        Err(_) => true,
        Ok(mut late) => {
            late.set_read_timeout(Some(Duration::from_secs(2)))
                .expect("a timeout");
            let _ =
                late.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = late.read_to_string(&mut answer);
            !answer.starts_with("HTTP/1.1 200")
        }
    };
    assert!(refused, "a new request was served after SIGTERM");

    // The request in flight completes.
    slow.write_all(&body[10..])
        .expect("sends the rest of the body");
    let mut answer = String::new();
    slow.read_to_string(&mut answer).expect("reads the answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""name":"BTS""#), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: slow-client-1"),
        "{answer}"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("waits") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");

    // Every log line is JSON, and the request's lines carry its id.
    let lines: Vec<String> = logs.try_iter().collect();
    let mut with_id = 0;
    for line in &lines {
        let log: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        if log["span"]["request_id"] == "slow-client-1" {
            with_id += 1;
        }
    }
    assert!(
        with_id > 0,
        "no log line carries the request id:\n{}",
        lines.join("\n")
    );
}
