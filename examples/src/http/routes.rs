//! The server's routes, as one hyper service function.

use std::error::Error as StdError;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_lite::FutureExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};

/// The error type of the response bodies.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The response body every route returns.
pub type Body = BoxBody<Bytes, BoxError>;

/// The longest `/sleep` accepted, in milliseconds (an hour).
pub const MAX_SLEEP_MS: u64 = 3_600_000;

/// Answers one request:
///
/// - `GET /`: `200`, `hello\n`;
/// - `POST /echo` (any method): `200`, the request body streamed back as
///   it arrives;
/// - `GET /sleep?ms=N`: waits `N` ms on the runtime's clock
///   ([`baton_protocol::time::sleep`]), then `200`, `slept N ms\n`;
///   `400` for a missing or malformed `N` or one above [`MAX_SLEEP_MS`];
/// - `/panic`: the handler panics, to show that this costs only a `500`;
/// - anything else: `404`.
///
/// Every failure is a response; a panicking handler is caught here: the
/// request gets `500` and the connection goes on.
pub async fn handle(request: Request<Incoming>) -> Response<Body> {
    match AssertUnwindSafe(route(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_panic) => text(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked\n"),
    }
}

async fn route(request: Request<Incoming>) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/") => text(StatusCode::OK, "hello\n"),
        (_, "/echo") => Response::new(request.into_body().map_err(BoxError::from).boxed()),
        (&Method::GET, "/sleep") => match sleep_ms(request.uri().query()) {
            Some(ms) => match baton_protocol::sleep(Duration::from_millis(ms)).await {
                Ok(()) => text(StatusCode::OK, format!("slept {ms} ms\n")),
                Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
            },
            None => text(
                StatusCode::BAD_REQUEST,
                format!("expected /sleep?ms=N with N from 0 to {MAX_SLEEP_MS}\n"),
            ),
        },
        (_, "/panic") => panic!("the /panic route panics on purpose"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `N` of a `ms=N` query, if well-formed and within bounds.
fn sleep_ms(query: Option<&str>) -> Option<u64> {
    let ms = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("ms="))?
        .parse()
        .ok()?;
    (ms <= MAX_SLEEP_MS).then_some(ms)
}

/// A plain-text response.
fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::sleep_ms;

    #[test]
    fn sleep_takes_a_bounded_number_of_milliseconds() {
        assert_eq!(sleep_ms(Some("ms=25")), Some(25));
        assert_eq!(sleep_ms(Some("x=1&ms=0")), Some(0));
        assert_eq!(sleep_ms(Some("ms=-1")), None);
        assert_eq!(sleep_ms(Some("ms=3600001")), None);
        assert_eq!(sleep_ms(Some("ms")), None);
        assert_eq!(sleep_ms(None), None);
    }
}
