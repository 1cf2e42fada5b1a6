//! `guard_runtime::http::SafeClient` against local HTTP servers on
//! 127.0.0.1: an ordinary client follows a redirect to a refused address
//! and re-resolves names; the safe client checks every hop first and
//! connects only to the addresses it vetted.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use guard_runtime::http::{HttpError, SafeClient};
use guard_runtime::validate::{Resolver, UrlPolicy};

/// A server on 127.0.0.1 that answers every request with `reply(path)`
/// and counts the requests it got.
fn server(reply: impl Fn(&str) -> Vec<u8> + Send + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(32) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 2048];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(&reply(&path));
        }
    });
    (port, hits)
}

fn ok(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).into_bytes()
}

fn redirect(to: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Loopback is internal: tests allow exactly the first server's port.
fn policy(port: u16) -> UrlPolicy {
    UrlPolicy::new()
        .schemes(["http"])
        .allow_internal(["127.0.0.1", "app.example.com"])
        .ports([port])
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_is_not_followed() {
    let (secret_port, secret_hits) = server(|_| ok("internal secret"));
    let target = format!("http://127.0.0.1:{secret_port}/latest/meta-data");
    let (port, _) = server(move |_| redirect(&target));
    let start = format!("http://127.0.0.1:{port}/start");

    // An ordinary client follows it.
    let plain = reqwest::get(&start).await.unwrap().text().await.unwrap();
    assert_eq!(plain, "internal secret");
    assert_eq!(secret_hits.load(Ordering::SeqCst), 1);

    let client = SafeClient::new(policy(port));
    match client.get(&start).await {
        Err(HttpError::Refused(v)) => assert_eq!(v.code, "url.port"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        secret_hits.load(Ordering::SeqCst),
        1,
        "the second hop was never reached"
    );

    for (to, code) in [
        ("http://169.254.169.254/latest/meta-data/", "url.metadata"),
        ("http://localhost/", "url.internal_host"),
        ("http://[::ffff:7f00:1]/", "url.loopback"),
        ("file:///etc/passwd", "url.scheme"),
    ] {
        let to = to.to_owned();
        let (port, _) = server(move |_| redirect(&to));
        let any_port = UrlPolicy::new()
            .schemes(["http"])
            .allow_internal(["127.0.0.1"]);
        match SafeClient::new(any_port)
            .get(&format!("http://127.0.0.1:{port}/"))
            .await
        {
            Err(HttpError::Refused(v)) => assert_eq!(v.code, code),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn allowed_redirects_are_followed_hop_by_hop() {
    let (port, hits) = server(|path| match path {
        "/a" => redirect("/b"),
        "/b" => redirect("/c"),
        "/loop" => redirect("/loop"),
        _ => ok("done"),
    });
    let client = SafeClient::new(policy(port));
    let page = client
        .get(&format!("http://127.0.0.1:{port}/a"))
        .await
        .unwrap();
    assert_eq!((page.status(), page.text().as_str()), (200, "done"));
    assert_eq!(page.url().path(), "/c");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    match client
        .max_redirects(3)
        .get(&format!("http://127.0.0.1:{port}/loop"))
        .await
    {
        Err(HttpError::TooManyRedirects(3)) => {}
        other => panic!("{other:?}"),
    }
}

/// Answers one fixed address for every name, the way a rebinding DNS
/// server would answer the check; a second lookup by the client would
/// have to go elsewhere.
#[derive(Debug)]
struct Fixed(IpAddr);

impl Resolver for Fixed {
    fn lookup<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>> {
        Box::pin(async move { Ok(vec![self.0]) })
    }
}

#[tokio::test]
async fn connections_go_to_the_vetted_addresses_only() {
    let (port, hits) = server(|_| ok("pinned"));
    let url = format!("http://app.example.com:{port}/");
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    // The system resolver does not send app.example.com to this server.
    let _ = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(3))
        .send()
        .await;
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let page = SafeClient::new(policy(port))
        .resolver(Fixed(loopback))
        .get(&url)
        .await
        .unwrap();
    assert_eq!(page.text(), "pinned");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // A name the resolver sends to a refused address is refused before any connection.
    let metadata: IpAddr = "169.254.169.254".parse().unwrap();
    match SafeClient::new(UrlPolicy::new().schemes(["http"]))
        .resolver(Fixed(metadata))
        .get("http://innocent.example.org/")
        .await
    {
        Err(HttpError::Refused(v)) => assert_eq!(v.code, "url.resolves_internal"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn size_and_time_are_capped() {
    let (port, _) = server(|path| match path {
        "/slow" => {
            std::thread::sleep(Duration::from_millis(1500));
            ok("late")
        }
        _ => ok(&"x".repeat(64 * 1024)),
    });
    let client = SafeClient::new(policy(port)).max_body_bytes(1024);
    match client.get(&format!("http://127.0.0.1:{port}/big")).await {
        Err(HttpError::TooLarge(1024)) => {}
        other => panic!("{other:?}"),
    }
    let client = SafeClient::new(policy(port)).timeout(Duration::from_millis(200));
    match client.get(&format!("http://127.0.0.1:{port}/slow")).await {
        Err(HttpError::TimedOut) => {}
        other => panic!("{other:?}"),
    }
}
