//! The HTTP ceiling for the load harness (`benches/load/run.sh`): a minimal `may_minihttp`
//! server that answers every request with the same fixed body, so that wrk, with the same
//! scripts and connections as against `ratel-server`, measures what the machine's loopback,
//! `may` and wrk itself allow when the handler does no work. Not part of the product.

use std::io;
use std::net::SocketAddr;

use clap::Parser;
use may_minihttp::{HttpService, HttpServiceFactory, Request, Response};

#[derive(Debug, Parser)]
#[command(about = "Answers every HTTP request with a fixed body (the load harness's ceiling)")]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on stderr).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Size of the body every request gets, in bytes (match the endpoint being compared).
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// `may` worker threads (0: one per core, as `ratel-server` does).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

#[derive(Debug, Clone, Copy)]
struct Fixed(&'static str);

impl HttpService for Fixed {
    fn call(&mut self, request: Request, response: &mut Response) -> io::Result<()> {
        // A request's body is read and dropped (the side load of benches/ledger posts
        // charges here); a GET skips even the look for its length.
        if request.method() != "GET" {
            drop(request.body());
        }
        response.header("Content-Type: text/xml; charset=utf-8");
        response.body(self.0);
        Ok(())
    }
}

#[derive(Debug)]
struct Factory(Fixed);

impl HttpServiceFactory for Factory {
    type Service = Fixed;

    fn new_service(&self, _connection: usize) -> Fixed {
        self.0
    }
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    may::config().set_workers(workers);
    // One body for the life of the process, shared by every connection.
    let body: &'static str = Box::leak("x".repeat(args.body_bytes).into_boxed_str());
    // `may_minihttp` binds the address itself and cannot report the port it got, so a free
    // port is found first (a bench tool can live with the small race this leaves).
    let addr = std::net::TcpListener::bind(args.listen)?.local_addr()?;
    let server = Factory(Fixed(body)).start(addr)?;
    eprintln!(
        "hello-ceiling: listening on http://{addr} ({} byte body, {workers} workers)",
        args.body_bytes
    );
    server
        .join()
        .map_err(|_| io::Error::other("the accept coroutine panicked"))
}
