//! The wasm side of the [`HttpClient`] seam: requests go out through `fetch`, the global one (bound
//! as a global, not through `window`, so it works in browsers, workerd and Node alike), or one the
//! caller injected (`new Connection(settings, { fetch })`), called as `fetch(url, init)`. gloo-net
//! builds the global's request and reads every answer. Its own `send` is not used: when `fetch`
//! resolves to something that is not a `Response` it panics with the value `Debug`-formatted, which
//! would bring float formatting (about 17 KB) into the wasm; here that case is a network error.
//!
//! Redirects are not followed (`redirect: "manual"`): a token request must never be replayed, with
//! its secrets, to wherever a redirect points, and a redirect from the API means the Base URL is
//! wrong; the 3xx (or, in browsers, the opaque status 0) reaches the core as an answer. Every request
//! is aborted after its time limit, body included, through an `AbortController` and a timer that is
//! cleared as soon as the body is in: `AbortSignal.timeout` would leave one pending timer per request
//! alive for the whole limit, which under load costs more than the request.

use core::cell::Cell;
use core::future::Future;
use std::rc::Rc;

use gloo_net::http::{Method as GlooMethod, RequestBuilder, Response};
use js_sys::{Function, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, RequestRedirect};

use super::boundary::RESPONSE_HEADERS;
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, with a `Request`.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_request(request: &web_sys::Request) -> Promise;

    /// The global `setTimeout` (browsers, workers and Node all have it; no `window` needed).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, milliseconds: i32) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(timer: &JsValue);
}

/// Sends with `fetch`: the injected one when given, else the global one through gloo-net.
#[derive(Clone, Default)]
pub(crate) struct FetchClient {
    pub(crate) fetch: Option<Function>,
}

impl HttpClient for FetchClient {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> {
        let fetch = self.fetch.clone();
        async move { send(fetch.as_ref(), &request).await }
    }
}

async fn send(
    fetch: Option<&Function>,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let controller = AbortController::new().map_err(|_| TransportError::Network)?;
    let timed_out = Rc::new(Cell::new(false));
    let on_timeout = {
        let controller = controller.clone();
        let timed_out = Rc::clone(&timed_out);
        Closure::once(move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let limit = i32::try_from(request.timeout_ms).unwrap_or(i32::MAX);
    let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), limit);
    let answer = exchange(fetch, request, &controller.signal()).await;
    clear_timeout(&timer);
    drop(on_timeout);
    answer.map_err(|()| {
        if timed_out.get() {
            TransportError::Timeout
        } else {
            TransportError::Network
        }
    })
}

/// One request and its whole answer; `Err` when no answer came (refused, reset, aborted, CORS).
async fn exchange(
    fetch: Option<&Function>,
    request: &HttpRequest,
    signal: &AbortSignal,
) -> Result<HttpResponse, ()> {
    let response = match fetch {
        None => send_global(request, signal).await?,
        Some(fetch) => send_injected(fetch, request, signal).await?,
    };
    let headers = response.headers();
    let headers = RESPONSE_HEADERS
        .iter()
        .filter_map(|&name| Some((name.to_owned(), headers.get(name)?)))
        .collect();
    let status = response.status();
    let body = response.binary().await.map_err(|_| ())?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

async fn send_global(request: &HttpRequest, signal: &AbortSignal) -> Result<Response, ()> {
    let method = match request.method {
        Method::Get => GlooMethod::GET,
        Method::Post => GlooMethod::POST,
    };
    let builder = request.headers.iter().fold(
        RequestBuilder::new(&request.url)
            .method(method)
            .redirect(RequestRedirect::Manual)
            .abort_signal(Some(signal)),
        |builder, (name, value)| builder.header(name, value),
    );
    let built = match &request.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    };
    let request: web_sys::Request = built.map_err(|_| ())?.into();
    response_of(fetch_request(&request)).await
}

/// The `Response` a fetch promise resolves to.
async fn response_of(promise: Promise) -> Result<Response, ()> {
    JsFuture::from(promise)
        .await
        .map_err(|_| ())?
        .dyn_into::<web_sys::Response>()
        .map(Response::from)
        .map_err(|_| ())
}

async fn send_injected(
    fetch: &Function,
    request: &HttpRequest,
    signal: &AbortSignal,
) -> Result<Response, ()> {
    let headers = Headers::new().map_err(|_| ())?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(|_| ())?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(signal));
    let returned = fetch
        .call2(&JsValue::NULL, &JsValue::from_str(&request.url), &init)
        .map_err(|_| ())?;
    // Whatever it returned (a promise or a response), await it as a promise.
    response_of(Promise::resolve(&returned)).await
}
