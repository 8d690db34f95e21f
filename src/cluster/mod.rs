//! Multi-process clusters: host lists, connecting peers with a deadline, starting timely
//! over TCP, gathering per-process values at the leader, and launching local clusters.
//!
//! Process `i` of `n` listens on line `i` of the host list. Worker indices are global
//! (`process * workers + local`), so input units, exchanges and the sinks on global worker 0
//! behave the same whatever the split between processes and threads.

pub mod connect;
pub mod launch;

use crate::{Error, Result};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::Hooks;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::operators::generic::Operator;

/// Reads a hostfile: one `host:port` a line; blank lines and `#` comments are skipped.
pub fn read_hostfile(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let hosts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect();
    if let Some(bad) = hosts.iter().find(|h| h.rsplit_once(':').is_none()) {
        return Err(Error::invalid(
            "--hostfile",
            format!("{}: `{bad}` is not host:port", path.display()),
        ));
    }
    Ok(hosts)
}

/// `n` loopback addresses on ports free at the time of the call (the OS picks them).
pub fn free_loopback_hosts(n: usize) -> Result<Vec<String>> {
    // Keep every listener open until all ports are known, so no port is handed out twice.
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io("cannot bind", "127.0.0.1:0", e))?;
    listeners
        .iter()
        .map(|l| {
            l.local_addr()
                .map(|a| a.to_string())
                .map_err(|e| Error::io("cannot bind", "127.0.0.1:0", e))
        })
        .collect()
}

/// Timely allocators for `threads` workers in process `process` of `addresses`, connected
/// within `timeout`, and the guard that keeps the network threads alive.
pub fn tcp_allocators(
    threads: usize,
    process: usize,
    addresses: &[String],
    timeout: Duration,
) -> Result<(Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>)> {
    let sockets = connect::connect_peers(addresses, process, timeout)?;
    let hooks = Hooks::default();
    let local = ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), None);
    let (builders, guard) =
        initialize_networking_from_sockets(local, sockets, process, threads, hooks)
            .map_err(|e| Error::Dataflow(format!("cannot start networking: {e}")))?;
    Ok((
        builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
        Box::new(guard),
    ))
}

/// Sends `value` from every worker to global worker 0 through a small dataflow and steps
/// it to completion. Worker 0 gets every worker's value ordered by worker index; the others
/// get an empty vector. Call it on every worker (it is a collective step).
pub fn gather_at_leader<T>(worker: &mut timely::worker::Worker, value: T) -> Vec<T>
where
    T: timely::ExchangeData,
{
    let gathered: Rc<RefCell<Vec<(usize, T)>>> = Rc::default();
    let index = worker.index();
    let into = gathered.clone();
    worker.dataflow::<u64, _, _>(move |scope| {
        let mut value = Some((index, value));
        source(scope, "GatherValue", move |capability, _info| {
            let mut capability = Some(capability);
            move |output| {
                if let (Some(cap), Some(item)) = (capability.take(), value.take()) {
                    output.session(&cap).give(item);
                }
            }
        })
        .sink(Exchange::new(|_| 0), "GatherAtLeader", move |(input, _)| {
            input.for_each(|_cap, data| into.borrow_mut().append(data));
        });
    });
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    let mut all = std::mem::take(&mut *gathered.borrow_mut());
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}
