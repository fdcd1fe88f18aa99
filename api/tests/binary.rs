//! `sixpotify-api` started as the README says: no configuration at all.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_configuration_the_binary_seeds_sqlite_logs_its_url_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sixpotify-api"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("SIXPOTIFY_SEED")
        .env("SIXPOTIFY_ADDR", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the API binary starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let server = Server(child);

    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let url = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs the URL to open before the deadline");
        if let Some(at) = line.find("url=http://") {
            break line[at + 4..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    assert!(url.ends_with("/graphql"), "{url}");
    assert!(
        dir.path().join("sixpotify.db").exists(),
        "the SQLite file is created in the working directory"
    );

    let body: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .json(
            &serde_json::json!({ "query": "{ searchArtists(query: \"BTS\", first: 1) { name } }" }),
        )
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({ "data": { "searchArtists": [{ "name": "BTS" }] } })
    );
    drop(server);
}
