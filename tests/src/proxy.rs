//! A TCP proxy between the phones under test and the server: it forwards bytes both ways and
//! can cut the line, so a scenario can take the network away from a client mid-sync (or while
//! the server restarts) and give it back.
//!
//! [`Proxy::cut`] closes every open connection at once (both ends are shut down, so a client
//! waiting for an answer sees the connection end) and from then on accepts and resets every new
//! connection, until [`Proxy::restore`]. Both act before they return. The proxy keeps its port
//! for its whole life; [`Proxy::set_upstream`] points it at another server port (a restarted
//! server) without the clients noticing anything but the outage.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy's switchboard, shared by the accept loop, the connections and the controls.
#[derive(Default)]
struct Switch {
    /// Whether the line is cut.
    cut: bool,
    /// Where to forward; `None` while the server is down (connections are reset, like a
    /// refused connection behind the proxy).
    upstream: Option<SocketAddr>,
    /// Next connection number.
    next: u64,
    /// Open connections: a second handle on each end's socket, to shut them down from here.
    open: HashMap<u64, [std::net::TcpStream; 2]>,
}

impl Switch {
    /// Shuts down both ends of every open connection; their forwarding tasks then end.
    fn close_all(&mut self) {
        for (_, ends) in self.open.drain() {
            for end in ends {
                let _ = end.shutdown(Shutdown::Both);
            }
        }
    }
}

type Shared = Arc<Mutex<Switch>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Switch> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A TCP proxy on `127.0.0.1:0` in front of a server.
pub struct Proxy {
    addr: SocketAddr,
    shared: Shared,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on a free loopback port, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy on 127.0.0.1:0");
        let addr = listener.local_addr().expect("the proxy's address");
        let shared: Shared = Arc::new(Mutex::new(Switch {
            upstream: Some(upstream),
            ..Switch::default()
        }));
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Proxy {
            addr,
            shared,
            accept,
        }
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts the line: every open connection is closed now, and new connections are accepted
    /// and reset at once, until [`Proxy::restore`].
    pub fn cut(&self) {
        let mut switch = lock(&self.shared);
        switch.cut = true;
        switch.close_all();
    }

    /// Gives the line back: new connections are forwarded again.
    pub fn restore(&self) {
        lock(&self.shared).cut = false;
    }

    /// Whether the line is cut.
    pub fn is_cut(&self) -> bool {
        lock(&self.shared).cut
    }

    /// Connections being forwarded now.
    pub fn open_connections(&self) -> usize {
        lock(&self.shared).open.len()
    }

    /// Forwards new connections to `upstream` from now on (`None`: reset them, as while the
    /// server is down). Open connections to the previous server are closed.
    pub fn set_upstream(&self, upstream: Option<SocketAddr>) {
        let mut switch = lock(&self.shared);
        if switch.upstream != upstream {
            switch.upstream = upstream;
            switch.close_all();
        }
    }

    /// Closes every open connection without cutting the line (a server that went away).
    pub fn close_all(&self) {
        lock(&self.shared).close_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.close_all();
    }
}

async fn accept_loop(listener: TcpListener, shared: Shared) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                tokio::spawn(forward(client, shared.clone()));
            }
            // Out of file descriptors and the like: try again shortly.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

/// Drops a connection with a reset, so the peer fails at once instead of waiting.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// A tokio stream and a second (std) handle on the same socket.
fn split_handle(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let std = stream.into_std()?;
    let other = std.try_clone()?;
    Ok((TcpStream::from_std(std)?, other))
}

async fn forward(client: TcpStream, shared: Shared) {
    let upstream = {
        let switch = lock(&shared);
        if switch.cut {
            None
        } else {
            switch.upstream
        }
    };
    let Some(target) = upstream else {
        return reset(client);
    };
    let server = match TcpStream::connect(target).await {
        Ok(s) => s,
        Err(_) => return reset(client),
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok((mut client, client_end)), Ok((mut server, server_end))) =
        (split_handle(client), split_handle(server))
    else {
        return;
    };
    let id = {
        let mut switch = lock(&shared);
        // Cut, or re-pointed, while this connection was being made.
        if switch.cut || switch.upstream != Some(target) {
            let _ = client_end.shutdown(Shutdown::Both);
            let _ = server_end.shutdown(Shutdown::Both);
            return;
        }
        let id = switch.next;
        switch.next += 1;
        switch.open.insert(id, [client_end, server_end]);
        id
    };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    lock(&shared).open.remove(&id);
}
