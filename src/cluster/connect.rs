//! Connecting the processes of a cluster, with a deadline.
//!
//! Timely's own `create_sockets` retries a failed connect every second forever and prints
//! to stdout (where alerts go). This does the same handshake (process `i` listens on line
//! `i` of the host list; higher processes connect to lower ones and send their index as a
//! big-endian u64) but gives up at a deadline with an error naming the missing peer.

use crate::{Error, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How often a refused connect or an empty accept queue is retried.
const RETRY: Duration = Duration::from_millis(50);

/// Sockets to every other process, indexed by process (`None` at `process`), as
/// `timely_communication`'s `initialize_networking_from_sockets` expects them.
pub fn connect_peers(
    addresses: &[String],
    process: usize,
    timeout: Duration,
) -> Result<Vec<Option<TcpStream>>> {
    let deadline = Instant::now() + timeout;
    let own = &addresses[process];
    let listener = TcpListener::bind(own.as_str()).map_err(|e| Error::Connect {
        process,
        address: own.clone(),
        message: format!("cannot listen on it ({e}); is the port free and the host this machine?"),
    })?;
    let expected = addresses.len() - process - 1;
    let accepting = std::thread::spawn({
        let addresses = addresses.to_vec();
        move || accept_higher(listener, &addresses, process, expected, deadline)
    });
    let mut sockets: Vec<Option<TcpStream>> = Vec::with_capacity(addresses.len());
    let mut failure = None;
    for (peer, address) in addresses.iter().enumerate().take(process) {
        match connect_lower(address, peer, process, deadline, timeout) {
            Ok(stream) => sockets.push(Some(stream)),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let accepted = accepting
        .join()
        .map_err(|_| Error::Dataflow("the connection listener panicked".into()))?;
    if let Some(e) = failure {
        return Err(e);
    }
    sockets.push(None);
    sockets.extend(accepted?.into_iter().map(Some));
    Ok(sockets)
}

fn connect_lower(
    address: &str,
    peer: usize,
    process: usize,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream> {
    let unreachable = |why: String| Error::Connect {
        process: peer,
        address: address.to_string(),
        message: why,
    };
    let resolved: Vec<_> = address
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("not a host:port ({e})")))?
        .collect();
    loop {
        let mut last = None;
        for socket in &resolved {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(RETRY);
            match TcpStream::connect_timeout(socket, left) {
                Ok(mut stream) => {
                    let hello = (process as u64).to_be_bytes();
                    stream
                        .set_nodelay(true)
                        .and_then(|()| stream.write_all(&hello))
                        .map_err(|e| unreachable(format!("handshake failed: {e}")))?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        if Instant::now() >= deadline {
            let why = last.map_or("no address".into(), |e| e.to_string());
            return Err(unreachable(format!(
                "unreachable for {}s ({why}); start every process of the hostfile, or raise --connect-timeout",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(RETRY);
    }
}

/// Accepts one connection from each process above `process`, ordered by their index.
fn accept_higher(
    listener: TcpListener,
    addresses: &[String],
    process: usize,
    expected: usize,
    deadline: Instant,
) -> Result<Vec<TcpStream>> {
    let own = addresses[process].clone();
    let failed = |message: String| Error::Connect {
        process,
        address: own.clone(),
        message,
    };
    listener
        .set_nonblocking(true)
        .map_err(|e| failed(e.to_string()))?;
    let mut accepted: Vec<Option<TcpStream>> = (0..expected).map(|_| None).collect();
    while accepted.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let mut hello = [0u8; 8];
                stream
                    .set_nonblocking(false)
                    .and_then(|()| stream.set_nodelay(true))
                    .and_then(|()| stream.read_exact(&mut hello))
                    .map_err(|e| failed(format!("handshake failed: {e}")))?;
                let peer = u64::from_be_bytes(hello) as usize;
                match peer.checked_sub(process + 1) {
                    Some(slot) if slot < expected => accepted[slot] = Some(stream),
                    _ => return Err(failed(format!("a peer claimed process index {peer}"))),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let missing = accepted.iter().position(Option::is_none).unwrap_or(0);
                    let peer = process + 1 + missing;
                    return Err(Error::Connect {
                        process: peer,
                        address: addresses[peer].clone(),
                        message: format!(
                            "never connected to process {process} at {own}; start every process of the hostfile, or raise --connect-timeout"
                        ),
                    });
                }
                std::thread::sleep(RETRY);
            }
            Err(e) => return Err(failed(format!("accept failed: {e}"))),
        }
    }
    Ok(accepted.into_iter().flatten().collect())
}
