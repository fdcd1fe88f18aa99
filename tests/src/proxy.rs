//! A TCP proxy the tests put between a program and its database, to take the database away
//! and give it back: [`Proxy::cut`] closes every connection and refuses new ones (a database
//! that went down), [`Proxy::stall`] keeps connections open but passes nothing (a network that
//! stopped answering), [`Proxy::restore`] forwards again.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Cut,
    Stall,
}

/// A running proxy; it stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mode = Arc::new(watch::channel(Mode::Forward).0);
        let modes = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rx = modes.subscribe();
                tokio::spawn(connection(client, upstream, rx));
            }
        });
        Ok(Self { addr, mode, task })
    }

    /// A proxy to the host and port of a `mysql://` URL, and that URL pointed at the proxy.
    pub async fn for_url(url: &str) -> Result<(Self, String)> {
        let mut parsed = url::Url::parse(url).context("parsing the database URL")?;
        let host = parsed.host_str().context("a database URL without a host")?;
        let port = parsed.port().unwrap_or(3306);
        let upstream = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .context("the database host does not resolve")?;
        let proxy = Self::start(upstream).await?;
        parsed
            .set_host(Some("127.0.0.1"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        parsed
            .set_port(Some(proxy.addr.port()))
            .map_err(|()| anyhow::anyhow!("cannot set a port"))?;
        Ok((proxy, parsed.to_string()))
    }

    /// Closes every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    /// Holds every connection, old and new, passing nothing, until [`Proxy::restore`].
    pub fn stall(&self) {
        self.mode.send_replace(Mode::Stall);
    }

    /// Forwards again. Connections cut stay closed; new ones go through.
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Forward);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.mode.send_replace(Mode::Cut);
        self.task.abort();
    }
}

/// Serves one client connection under the modes `rx` announces.
async fn connection(mut client: TcpStream, upstream: SocketAddr, mut rx: watch::Receiver<Mode>) {
    // A connection that arrives while cut is refused; one that arrives while stalled waits.
    loop {
        let mode = *rx.borrow_and_update();
        match mode {
            Mode::Forward => break,
            Mode::Cut => {
                let _ = client.set_zero_linger();
                return;
            }
            Mode::Stall => {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    loop {
        let mode = *rx.borrow_and_update();
        match mode {
            Mode::Cut => break,
            Mode::Stall => {
                // Read nothing, write nothing: both ends wait on a silent peer.
                if rx.changed().await.is_err() {
                    break;
                }
                continue;
            }
            Mode::Forward => {}
        }
        use tokio::io::AsyncReadExt as _;
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break },
            n = cr.read(&mut up) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => if sw.write_all(&up[..n]).await.is_err() { break },
            },
            n = sr.read(&mut down) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => if cw.write_all(&down[..n]).await.is_err() { break },
            },
        }
    }
    let _ = client.set_zero_linger();
    let _ = server.set_zero_linger();
}
