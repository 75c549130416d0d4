//! One virtual user's wire: a bare hyper HTTP/1.1 keep-alive connection
//! (no pool, no redirects, no proxy: the driver must cost far less than the
//! server it measures) and a two-cookie jar.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{
    HeaderMap, Method, Request, StatusCode, Uri,
    client::conn::http1::{self, SendRequest},
    header::{CONTENT_TYPE, COOKIE, HOST, HeaderValue, SET_COOKIE},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Every request, connecting included, gives up after this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A server to talk to: its address and the `Host` header it gets.
#[derive(Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
}

impl Target {
    /// Parses `http://host:port[/]` (plain HTTP only: the bench runs beside
    /// the server, and TLS would measure the TLS library).
    pub async fn parse(url: &str) -> anyhow::Result<Arc<Self>> {
        let authority = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("{url}: only http:// URLs are supported"))?
            .trim_end_matches('/');
        let addr =
            tokio::net::lookup_host(authority).await?.next().ok_or_else(|| anyhow::anyhow!("{url}: no address"))?;
        Ok(Arc::new(Self { addr, host: HeaderValue::from_str(authority)? }))
    }
}

/// Why a request got no HTTP answer; the report counts each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TransportError {
    Connect,
    Timeout,
    Send,
    Body,
}

impl TransportError {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Send => "send",
            Self::Body => "body",
        }
    }
}

/// A response with its body read (and dropped): only status and headers
/// matter to the bench.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

/// One keep-alive connection. After a failure it is dropped, and the next
/// request connects again (once: a failed connect is reported as such).
pub struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(target: Arc<Target>) -> Self {
        Self { target, sender: None }
    }

    /// Sends one request within [`REQUEST_TIMEOUT`]. A JSON `body` gets
    /// `Content-Type: application/json`.
    pub async fn send(
        &mut self,
        method: Method,
        path: &'static str,
        cookie: Option<&HeaderValue>,
        body: Option<Bytes>,
    ) -> Result<Reply, TransportError> {
        self.send_with(method, path, cookie, None, body).await
    }

    /// [`Conn::send`] with one more header (a device-binding proof).
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &'static str,
        cookie: Option<&HeaderValue>,
        extra: Option<(&'static str, HeaderValue)>,
        body: Option<Bytes>,
    ) -> Result<Reply, TransportError> {
        let result = tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, cookie, extra, body))
            .await
            .unwrap_or(Err(TransportError::Timeout));
        if result.is_err() {
            // The connection's state is unknown now: never reuse it.
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &'static str,
        cookie: Option<&HeaderValue>,
        extra: Option<(&'static str, HeaderValue)>,
        body: Option<Bytes>,
    ) -> Result<Reply, TransportError> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or(TransportError::Connect)?;
        sender.ready().await.map_err(|_| TransportError::Send)?;

        let mut request = Request::builder().method(method).uri(Uri::from_static(path)).header(HOST, &self.target.host);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let body = match body {
            Some(json) => {
                request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Full::new(json)
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body).map_err(|_| TransportError::Send)?;

        let response = sender.send_request(request).await.map_err(|_| TransportError::Send)?;
        let (parts, body) = response.into_parts();
        // Reading the body to its end is what frees the connection for reuse.
        body.collect().await.map_err(|_| TransportError::Body)?;
        Ok(Reply { status: parts.status, headers: parts.headers })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let stream = TcpStream::connect(self.target.addr).await.map_err(|_| TransportError::Connect)?;
        // Small request/response pairs: Nagle would add up to 40 ms each.
        stream.set_nodelay(true).map_err(|_| TransportError::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(|_| TransportError::Connect)?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the peer closes; either way
            // the next request notices and reconnects.
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// The cookie names the server uses.
#[derive(Clone, Debug)]
pub struct CookieNames {
    pub access: String,
    pub refresh: String,
}

/// A user's cookies, each kept as a ready `name=value` header value.
#[derive(Debug, Default)]
pub struct Jar {
    access: Option<HeaderValue>,
    refresh: Option<HeaderValue>,
}

impl Jar {
    pub fn access(&self) -> Option<&HeaderValue> {
        self.access.as_ref()
    }

    pub fn refresh(&self) -> Option<&HeaderValue> {
        self.refresh.as_ref()
    }

    /// Applies a response's `Set-Cookie` headers; `Max-Age=0` (or an empty
    /// value) clears a cookie. Other cookies are ignored.
    pub fn update(&mut self, names: &CookieNames, headers: &HeaderMap) {
        for header in headers.get_all(SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { continue };
            let (name, value) = (name.trim(), value.trim());
            let slot = if name == names.access {
                &mut self.access
            } else if name == names.refresh {
                &mut self.refresh
            } else {
                continue;
            };
            let cleared = value.is_empty() || parts.any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
            *slot = if cleared { None } else { HeaderValue::from_str(&format!("{name}={value}")).ok() };
        }
    }
}
