//! Minimal blocking HTTP/1.1 over loopback for latency samples: one request per connection,
//! as a staff member's browser opening a page does, with no client library in the timing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Status code of a GET, `None` if the server could not be reached.
pub fn get_status(url: &str) -> Option<u16> {
    get(url).map(|(status, _)| status)
}

/// Status and body size of a GET.
pub fn get(url: &str) -> Option<(u16, usize)> {
    get_as(url, None)
}

/// The same, with a bearer token (staff pages are behind the sign-in).
pub fn get_as(url: &str, bearer: Option<&str>) -> Option<(u16, usize)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let authorization = bearer
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: text/html\r\n{authorization}\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let head = std::str::from_utf8(response.get(..12)?).ok()?;
    let status = head.get(9..12)?.parse().ok()?;
    Some((status, response.len()))
}

/// Milliseconds of each of `samples` GETs of `url` after `warmup` unmeasured ones; panics on
/// a status other than 200, so a figure is never the time of an error page.
pub fn time_gets(url: &str, bearer: &str, warmup: usize, samples: usize) -> Vec<f64> {
    for _ in 0..warmup {
        let _ = get_as(url, Some(bearer));
    }
    (0..samples)
        .map(|_| {
            let start = Instant::now();
            let status = get_as(url, Some(bearer)).map(|(s, _)| s);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(status, Some(200), "GET {url} answered {status:?}");
            ms
        })
        .collect()
}
