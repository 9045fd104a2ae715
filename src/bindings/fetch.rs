//! The wasm side of the [`HttpClient`] seam: requests go out through `fetch`, the global one (bound
//! as a global, not through `window`, so it works in browsers, workerd and Node alike), or one the
//! caller injected (`new Connection(settings, { fetch })`); both are called as `fetch(url, init)`.
//! gloo-net's `Headers` carries the request headers and its `Response` reads every answer. Its
//! `RequestBuilder` is not used to send: it builds each request twice (and a `URL` between), which
//! costs more than the rest of a token exchange in Node, and its `send` panics, with the value
//! `Debug`-formatted (float formatting, about 17 KB of wasm), when `fetch` resolves to something that
//! is not a `Response`; here that is a network error.
//!
//! Redirects are not followed (`redirect: "manual"`): a token request must never be replayed, with
//! its secrets, to wherever a redirect points, and a redirect from the API means the Base URL is
//! wrong; the 3xx (or, in browsers, the opaque status 0) reaches the core as an answer. Every request
//! is aborted after its time limit, body included: a timer calls the request's
//! `AbortController.abort` (bound in JavaScript, so no Rust closure crosses the boundary) and is
//! cleared as soon as the body is in; `AbortSignal.timeout` would leave one pending timer per request
//! alive for the whole limit. An abort is a timeout, since nothing else aborts.

use core::future::Future;

use gloo_net::http::{Headers, Response};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, RequestRedirect};

use super::boundary::RESPONSE_HEADERS;
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;

    /// The global `setTimeout` (browsers, workers and Node all have it; no `window` needed).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, milliseconds: i32) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(timer: &JsValue);
}

/// Sends with `fetch`: the injected one when given, else the global one.
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
    let abort = Reflect::get(&controller, &JsValue::from_str("abort"))
        .ok()
        .and_then(|abort| abort.dyn_into::<Function>().ok())
        .ok_or(TransportError::Network)?
        .bind0(&controller);
    let limit = i32::try_from(request.timeout_ms).unwrap_or(i32::MAX);
    let timer = set_timeout(&abort, limit);
    let answer = exchange(fetch, request, &controller).await;
    clear_timeout(&timer);
    answer.map_err(|()| {
        if controller.signal().aborted() {
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
    controller: &AbortController,
) -> Result<HttpResponse, ()> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.append(name, value);
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers.into_raw());
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&controller.signal()));
    let promise = match fetch {
        None => global_fetch(&request.url, &init),
        Some(fetch) => {
            let returned = fetch
                .call2(&JsValue::NULL, &JsValue::from_str(&request.url), &init)
                .map_err(|_| ())?;
            // Whatever it returned (a promise or a response), await it as a promise.
            Promise::resolve(&returned)
        }
    };
    let response = JsFuture::from(promise)
        .await
        .map_err(|_| ())?
        .dyn_into::<web_sys::Response>()
        .map(Response::from)
        .map_err(|_| ())?;
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
